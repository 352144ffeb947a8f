import Age
import Foundation
import Storage

/// What ``Vault/copy(to:identities:now:)`` did.
public struct VaultCopyReport: Sendable, Hashable {
    /// Rows copied per table.
    public var rows: [String: Int] = [:]
    /// What verifying the copy found (clean, or the copy was not kept).
    public var verification: VerificationReport
}

extension Vault {
    /// The tables a copy carries, parents before the rows that refer to them.
    static let copiedTables = ["vault", "keyring", "authority", "apps", "credentials", "rotations", "tenant_syncs", "audit"]

    /// Copies this vault, row for row, to a new vault at `location`: a SQLite path or a
    /// `postgresql://` URL, whichever this one is. Admin only.
    ///
    /// The rows are copied as stored (ciphertexts, tags, the signed digest), so the copy is the
    /// same vault: the same id, keys, recipients and fingerprint, and every identity's pin holds.
    /// This vault is verified first, and the copy after, by opening it with `identities` and
    /// checking every row, the audit chain and the digest; a copy that does not verify is removed
    /// (a database's transaction is rolled back). A target that exists, or a database that holds
    /// a vault, is refused. Each side's audit log then records the copy.
    ///
    /// - Throws: ``VaultError/vaultExists(path:)`` for a target in use,
    ///   ``VaultError/integrityMismatch(reason:)`` when either side does not verify.
    public func copy(to location: String, identities: [X25519Identity], now: Date = Date()) throws -> VaultCopyReport {
        try keys.requireAdmin()
        guard location != path else { throw VaultError.invalidValue(field: "target", reason: "it is this vault's own location") }
        let source = try verify()
        guard source.isClean else {
            throw VaultError.integrityMismatch(reason: "this vault does not verify (\(source.problems.first ?? "") …); nothing was copied: run `secrets verify`")
        }
        // One snapshot of every row, read before the target is touched.
        let snapshot: [(table: String, rows: [StoredRow])] = try read { db in
            try Self.copiedTables.filter { try db.tableExists($0) }.map { table in (table, try db.rows(sql: "SELECT * FROM \(table)")) }
        }
        let target = try VaultBackend.create(at: location)
        var report = VaultCopyReport(verification: VerificationReport())
        do {
            try Self.translatingDatabaseErrors {
                try target.write { db in
                    try VaultSchema.create(db)
                    if snapshot.contains(where: { $0.table == "tenant_syncs" }) { try VaultSchema.createTenantSyncs(db) }
                    for (table, rows) in snapshot {
                        // Every row of one `SELECT *` has the same columns: one statement per table.
                        guard let columns = rows.first?.columns else {
                            report.rows[table] = 0
                            continue
                        }
                        guard Set(columns).isSubset(of: try db.columnNames(in: table)) else {
                            throw VaultError.integrityMismatch(reason: "table \(table) has columns this version does not know; use a newer secrets")
                        }
                        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                        let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(marks))"
                        for row in rows { try db.execute(sql: insert, arguments: row.values.map { $0 }) }
                        report.rows[table] = rows.count
                    }
                }
            }
            try target.close()
            let copy = try Vault.open(at: location, identities: identities, actor: actor)
            report.verification = try copy.verify()
            guard report.verification.isClean else {
                throw VaultError.integrityMismatch(reason: "the copy does not verify (\(report.verification.problems.first ?? "")); it was not kept")
            }
            try copy.write(now: now) { writer in try writer.audit(.vaultCopy, detail: "copied from \(path)") }
        } catch {
            try? target.close()
            Self.discardCopy(at: location)
            throw error
        }
        try write(now: now) { writer in try writer.audit(.vaultCopy, detail: "copied to \(location)") }
        return report
    }

    /// Removes a copy that failed: the file, or the tables a database was given.
    private static func discardCopy(at location: String) {
        guard VaultBackend.isServer(location) else { return VaultBackend.discard(at: location) }
        guard let storage = try? VaultBackend.open(at: location) else { return }
        defer { try? storage.close() }
        try? storage.write { db in
            for table in copiedTables.reversed() where try db.tableExists(table) { try db.executeScript(sql: "DROP TABLE \(table)") }
        }
    }
}

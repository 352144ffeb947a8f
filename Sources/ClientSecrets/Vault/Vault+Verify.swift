import Foundation
import Storage

/// What ``Vault/verify()`` checked and what it found.
public struct VerificationReport: Sendable, Hashable, Codable {
    /// How many problems ``problems`` lists at most: a vault of a million damaged rows is told
    /// by its first problems and a count, not a million lines (or a million strings in memory).
    public static let listedProblemLimit = 20

    /// Rows checked per table.
    public var checked: [String: Int] = [:]
    /// Secret values decrypted and authenticated (none for a reader).
    public var secretValuesChecked = 0
    /// Whether secret values were checked; a reader cannot.
    public var secretValuesSkipped = false
    /// One line per problem, each naming the table and row: the first ``listedProblemLimit``.
    public var problems: [String] = []
    /// How many problems were found in all, listed or not.
    public var problemCount = 0

    /// True when nothing is wrong.
    public var isClean: Bool { problemCount == 0 && problems.isEmpty }

    /// Records a problem: listed while fewer than ``listedProblemLimit`` are, counted always.
    mutating func record(_ problem: String) {
        problemCount += 1
        if problems.count < Self.listedProblemLimit { problems.append(problem) }
    }
}

extension Vault {
    /// Decrypts and authenticates every row, checks the audit chain and recomputes the integrity
    /// digest, collecting every problem rather than stopping at the first (listing the first
    /// ``VerificationReport/listedProblemLimit`` and counting the rest).
    public func verify() throws -> VerificationReport {
        return try read { db in
            // Read again inside the transaction: another process may have rekeyed since (see SharedKeys).
            let secretKey = keys.secretCipherKey
            var report = VerificationReport()
            report.secretValuesSkipped = secretKey == nil
            // Rows already named, so the whole-vault check does not name them again; hashes, so a
            // million damaged rows do not keep a million names.
            var reportedRows = Set<Int>()
            func check(_ body: () throws -> Void) {
                do {
                    try body()
                } catch let error as VaultError {
                    if case .tampered(let table, let row, _) = error.detail {
                        guard reportedRows.insert("\(table) row \(row)".hashValue).inserted else { return }
                    }
                    report.record("\(error)")
                } catch {
                    report.record("\(error)")
                }
            }
            // Keyring: every entry names a known role and its name opens.
            let keyringRows = try db.rows(sql: "SELECT * FROM keyring")
            report.checked["keyring"] = keyringRows.count
            for row in keyringRows {
                let id = RecordID(try row["id"] as Data)
                check {
                    guard Role(rawValue: try row["role"]) != nil else {
                        throw VaultError.tampered(table: "keyring", row: id.description, reason: "has an unknown role")
                    }
                    if let name = try row["name"] as Data? {
                        _ = try cipher.open(name, key: keys.metadataCipherKey, binding: .init(table: "keyring", column: "name", row: id))
                    }
                    try authenticate(table: "keyring", row: row)
                }
            }
            if !keyringRows.contains(where: { String.fromStored($0["role"]) == Role.admin.rawValue }) {
                report.record("the vault is damaged or was tampered with: the keyring has no admin")
            }
            // Apps.
            var apps = Set<RecordID>()
            var count = 0
            try db.forEachRow(sql: "SELECT * FROM apps") { row in
                count += 1
                check { apps.insert(try decodeApp(row).id) }
            }
            report.checked["apps"] = count
            // Credentials: each opens, belongs to an app, and values open for an admin. A value
            // larger than any sealed secret is named from its length and never read.
            var currentPerApp: [RecordID: Int] = [:]
            count = 0
            let limit = IntegrityDigest.maximumSealedSecretCount
            try db.forEachRow(sql: "SELECT id, length(secret) AS size FROM credentials WHERE length(secret) > ?", arguments: [limit]) { row in
                count += 1
                check {
                    throw VaultError.tampered(
                        table: "credentials", row: IntegrityDigest.rowName(table: "credentials", row: row),
                        reason: "holds a secret column of \(Int64.fromStored(row["size"]) ?? 0) bytes, more than any sealed secret can be (\(limit))")
                }
            }
            try db.forEachRow(sql: "SELECT * FROM credentials WHERE length(secret) IS NULL OR length(secret) <= ?", arguments: [limit]) { row in
                count += 1
                check {
                    // The value first: decoding checks the row's tag, which would hide which column is damaged.
                    if let secretKey, let sealed = try row["secret"] as Data? {
                        _ = try cipher.open(
                            sealed, key: secretKey, binding: Self.credentialSecretBinding(id: RecordID(row["id"] as Data), app: RecordID(row["app"] as Data)))
                        report.secretValuesChecked += 1
                    }
                    let record = try decodeCredential(row)
                    guard apps.contains(record.appRecordID) else {
                        throw VaultError.tampered(table: "credentials", row: record.id.description, reason: "belongs to no readable app")
                    }
                    if record.credential.state == .current { currentPerApp[record.appRecordID, default: 0] += 1 }
                    // Only a sync writes a service principal's credential: monitored, never current, no value.
                    let holdsValue = try row["secret"] as Data? != nil
                    if record.credential.holder == .servicePrincipal, record.credential.state == .current || holdsValue {
                        throw VaultError.tampered(
                            table: "credentials", row: record.id.description, reason: "is a service principal's credential that is current or holds a value")
                    }
                }
            }
            report.checked["credentials"] = count
            for (app, count) in currentPerApp where count > 1 {
                report.record("the vault is damaged or was tampered with: apps row \(app) has \(count) current credentials")
            }
            // Rotation journal: every row opens and belongs to an app.
            if hasJournal {
                count = 0
                try db.forEachRow(sql: "SELECT * FROM rotations") { row in
                    count += 1
                    check {
                        let journal = try decodeJournal(row)
                        guard apps.contains(journal.appRecordID) else {
                            throw VaultError.tampered(table: "rotations", row: journal.id.description, reason: "belongs to no readable app")
                        }
                    }
                }
                report.checked["rotations"] = count
            }
            // Where tenant syncs resume: every row opens and belongs to an app (its scanner).
            if try db.tableExists("tenant_syncs") {
                count = 0
                try db.forEachRow(sql: "SELECT * FROM tenant_syncs") { row in
                    count += 1
                    check {
                        let sync = try decodeTenantSync(row)
                        guard apps.contains(sync.id) else {
                            throw VaultError.tampered(table: "tenant_syncs", row: sync.id.description, reason: "belongs to no readable app")
                        }
                    }
                }
                report.checked["tenant_syncs"] = count
            }
            // Audit chain.
            report.checked["audit"] = try db.value(Int.self, sql: "SELECT COUNT(*) FROM audit") ?? 0
            check { _ = try auditEntries(db) }
            // Every row's tag (for an admin; rows named above are not named twice) and the signed
            // digest over all rows: catches rows forged, deleted, added or put back from an older copy.
            let named = reportedRows
            let anyReported = report.problemCount > 0
            check { try checkIntegrity(db, alreadyReported: anyReported ? { named.contains($0.hashValue) } : nil) }
            // The backend's own check reads what no table scan visits (for SQLite, indexes and
            // free pages), so a file cut short or overwritten there is found too.
            check {
                let findings = try db.damage()
                guard findings.isEmpty else {
                    throw VaultError.integrityMismatch(reason: "SQLite finds the file itself damaged (\(findings.joined(separator: "; ").split(whereSeparator: \.isNewline).joined(separator: "; ")))")
                }
            }
            return report
        }
    }

    /// Checks the vault as a whole before anything acts on it or prints a view of it: for an
    /// admin, every row's authentication tag (naming the first rows that fail), the digest of
    /// them all and its signature; for a reader, who cannot check tags, that the stored tags add
    /// up to the signed digest, which still shows rows deleted, added or put back from an older
    /// copy. Costs one keyed hash per row (an admin) or one pass over the tags (a reader), so
    /// commands that act or print a view run it first; `expiring` leaves it to `--verify`.
    ///
    /// - Throws: ``VaultError/tampered(table:row:reason:)`` naming a forged row, or
    ///   ``VaultError/integrityMismatch(reason:)``.
    public func checkIntegrity() throws {
        try read { db in try checkIntegrity(db) }
    }

    /// - Parameter alreadyReported: whether a row (named `table row id`) was already reported,
    ///   and so is not named again; `nil` when nothing was.
    func checkIntegrity(_ db: any StorageTransaction, alreadyReported: ((String) -> Bool)? = nil) throws {
        guard let row = try db.row(sql: "SELECT digest, counter, seal FROM vault WHERE id = 1") else {
            throw VaultError.integrityMismatch(reason: "the vault row is missing")
        }
        let stored = IntegrityDigest(bytes: [UInt8](try row["digest"] as Data))
        guard format >= 2 else {
            // A format-1 vault, opened by a reader before any admin upgraded it.
            guard try stored.seal(counter: row["counter"], vaultID: keys.vaultID, key: keys.integrityKey) == [UInt8](row["seal"] as Data) else {
                throw VaultError.integrityMismatch(reason: "the integrity digest does not match its MAC")
            }
            guard try IntegrityDigest.recompute(db, key: keys.integrityKey) == stored else {
                throw VaultError.integrityMismatch(reason: "rows were deleted, added or altered outside secrets (the integrity digest does not match)")
            }
            return
        }
        guard stored.bytes.count == IntegrityDigest.count,
              stored.isSigned([UInt8](try row["seal"] as Data), counter: try row["counter"], vaultID: keys.vaultID, authority: try storedAuthority(db))
        else {
            throw VaultError.integrityMismatch(reason: "the integrity digest does not carry the vault's signature")
        }
        if let key = keys.authenticationKey {
            let (digest, forged, forgedCount, anyForged) = try IntegrityDigest.authenticateRows(
                db, key: key, limit: 1, isReported: alreadyReported ?? { _ in false })
            if let first = forged.first {
                let others = forgedCount - 1
                let more = others > 0 ? " (and \(others) more rows)" : ""
                throw VaultError.integrityMismatch(reason: "\(first) was not written by an admin of this vault (its authentication tag does not match)\(more); nothing was done")
            }
            guard digest == stored || anyForged else {
                throw VaultError.integrityMismatch(reason: "rows were deleted, added or put back from an older copy of the vault (the signed integrity digest does not match); nothing was done")
            }
        } else {
            guard try IntegrityDigest.storedContributions(db) == stored else {
                throw VaultError.integrityMismatch(reason: "rows were changed, deleted, added or put back from an older copy of the vault since an admin last wrote it (the signed integrity digest does not match)")
            }
        }
    }
}

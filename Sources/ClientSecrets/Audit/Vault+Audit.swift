import Foundation
import Storage

/// The audit log as read back: its entries, and where the chain is broken if it is.
struct AuditReading {
    var entries: [AuditEntry]
}

extension Vault {
    /// Every audit entry, oldest first, after checking the hash chain.
    ///
    /// - Throws: ``VaultError/tampered(table:row:reason:)`` naming the first entry whose details,
    ///   sequence or chain link is wrong.
    public func auditLog() throws -> [AuditEntry] {
        try read { db in try auditEntries(db).entries }
    }

    func auditEntries(_ db: any StorageTransaction) throws -> AuditReading {
        var entries: [AuditEntry] = []
        var previous = Data(repeating: 0, count: 32)
        var expectedSeq: Int64 = 1
        try db.forEachRow(sql: "SELECT * FROM audit ORDER BY seq") { row in
            let seq: Int64 = try row["seq"]
            let action: String = try row["action"]
            let outcome: String = try row["outcome"]
            let details: Data = try row["details"]
            let name = "\(seq)"
            guard seq == expectedSeq else {
                throw VaultError.tampered(table: "audit", row: name, reason: "follows entry \(expectedSeq - 1): entries are missing")
            }
            guard try (row["prev_hash"] as Data) == previous else {
                throw VaultError.tampered(table: "audit", row: name, reason: "does not link to the entry before it")
            }
            let hash = try AuditChain.hash(previous: previous, seq: seq, at: row["at"], action: action, outcome: outcome, details: details)
            guard try hash == row["hash"] as Data else {
                throw VaultError.tampered(table: "audit", row: name, reason: "does not match its chain hash")
            }
            let record = try cipher.openJSON(
                AuditDetails.self, from: details, key: keys.metadataCipherKey,
                binding: AuditChain.binding(seq: seq, at: row["at"], action: action, outcome: outcome))
            entries.append(AuditEntry(
                sequence: seq, at: Date(timeIntervalSince1970: TimeInterval(try row["at"] as Int64)), actor: record.actor,
                action: AuditAction(rawValue: action), outcome: AuditOutcome(rawValue: outcome), app: record.app, appID: record.appID, keyID: record.keyID, detail: record.detail))
            previous = hash
            expectedSeq += 1
        }
        return AuditReading(entries: entries)
    }
}

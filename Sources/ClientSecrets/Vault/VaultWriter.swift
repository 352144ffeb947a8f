import CryptoPrimitives
import Foundation
import Storage

/// The one way rows change: inside a write transaction, keeping each row's authentication tag,
/// the integrity digest and the audit log in step with every insert, update and delete.
///
/// Only admins write, so every writer holds the authentication and authority keys.
package struct VaultWriter {
    package let db: any StorageTransaction
    let keys: DataKeys
    let authenticationKey: SecureBytes
    let authority: Ed25519.SigningKey
    let cipher: RecordCipher
    let actor: String
    let now: Date
    /// This transaction's changes to the digest; a batch restores it when a savepoint rolls back.
    var delta = IntegrityDigest.empty

    init(db: any StorageTransaction, keys: DataKeys, actor: String, now: Date) throws {
        self.db = db
        self.keys = keys
        self.authenticationKey = try keys.requireAuthenticationKey()
        self.authority = try keys.requireAuthority()
        self.cipher = RecordCipher(vaultID: keys.vaultID)
        self.actor = actor
        self.now = now
    }

    var timestamp: Int64 { Int64(now.timeIntervalSince1970.rounded(.down)) }

    // Statements are cached by their SQL: bulk rotations write the same shapes thousands of
    // times, and compiling a statement (with GRDB's authorizer) costs more than running it.
    private func fetch(_ table: String, key: String, _ value: any StoredValueConvertible) throws -> StoredRow? {
        try db.row(sql: "SELECT * FROM \(table) WHERE \(key) = ?", arguments: [value])
    }

    /// Inserts a row whose primary key column is `key`.
    mutating func insert(_ table: String, key: String = "id", _ values: [(String, (any StoredValueConvertible)?)]) throws {
        // Closures, not key paths: a tuple's key path is built at run time, on every row.
        let columns = values.map { $0.0 }.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
        try db.execute(sql: "INSERT INTO \(table) (\(columns)) VALUES (\(placeholders))", arguments: values.map { $0.1 })
        let keyValue = values.first { $0.0 == key }!.1!
        guard let row = try fetch(table, key: key, keyValue) else { throw VaultError.storage(reason: "a row just written to \(table) is missing") }
        try authenticate(table, key: key, row: row)
    }

    /// Tags the row as written (read back, so the tag covers exactly what SQLite stored) and
    /// folds the tag into this transaction's digest change.
    private mutating func authenticate(_ table: String, key: String, row: StoredRow) throws {
        let tag = try IntegrityDigest.tag(table: table, row: row, key: authenticationKey)
        try db.execute(sql: "UPDATE \(table) SET auth = ? WHERE \(key) = ?", arguments: [Data(tag), row[key] as StoredValue])
        delta.toggle(try IntegrityDigest.contribution(table: table, row: row, tag: tag))
    }

    /// Takes a row about to change or go out of this transaction's digest change. Its tag is
    /// recomputed, not read: a row forged behind the tool's back keeps the digest wrong.
    private mutating func removeContribution(_ table: String, row: StoredRow) throws {
        let tag = try IntegrityDigest.tag(table: table, row: row, key: authenticationKey)
        delta.toggle(try IntegrityDigest.contribution(table: table, row: row, tag: tag))
    }

    /// Updates some columns of the row whose `id` is `id`.
    mutating func update(_ table: String, id: RecordID, _ values: [(String, (any StoredValueConvertible)?)]) throws {
        guard let old = try fetch(table, key: "id", id.data) else {
            throw VaultError.storage(reason: "row \(id) of \(table) disappeared during the change")
        }
        try removeContribution(table, row: old)
        let assignments = values.map { "\($0.0) = ?" }.joined(separator: ", ")
        try db.execute(sql: "UPDATE \(table) SET \(assignments) WHERE id = ?", arguments: values.map { $0.1 } + [id.data])
        guard let new = try fetch(table, key: "id", id.data) else { throw VaultError.storage(reason: "row \(id) of \(table) vanished") }
        try authenticate(table, key: "id", row: new)
    }

    /// Deletes the row whose `id` is `id`.
    mutating func delete(_ table: String, id: RecordID) throws {
        guard let old = try fetch(table, key: "id", id.data) else { return }
        try removeContribution(table, row: old)
        try db.execute(sql: "DELETE FROM \(table) WHERE id = ?", arguments: [id.data])
    }

    /// Appends an audit entry, hash-chained to the previous one. `details` must never hold a secret value.
    /// Raises the vault's format to `format` if it is older, and audits the step (`vault.migrate`,
    /// from which format to which, and why): the vault now holds what an older `secrets` cannot
    /// read, and it refuses the vault instead of misreading it. Formats are only ever raised, in
    /// the admin's transaction that first needs them.
    mutating func raiseFormat(to format: Int) throws {
        let current = try db.value(Int.self, sql: "SELECT format FROM vault WHERE id = 1") ?? 0
        guard current < format else { return }
        try db.execute(sql: "UPDATE vault SET format = ? WHERE id = 1", arguments: [format])
        var why: [String] = []
        for step in (current + 1)...format {
            if let reason = VaultSchema.migrations[step] { why.append("format \(step): \(reason)") }
        }
        try audit(.vaultMigrate, detail: "format \(current) → \(format); " + why.joined(separator: "; "))
    }

    package mutating func audit(_ action: AuditAction, outcome: AuditOutcome = .ok, app: String? = nil, appID: String? = nil, keyID: String? = nil, detail: String? = nil) throws {
        let last = try db.row(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let seq: Int64 = (try last?["seq"] ?? 0) + 1
        let previousHash: Data = try last?["hash"] ?? Data(repeating: 0, count: 32)
        let record = AuditDetails(actor: actor, app: app, appID: appID, keyID: keyID, detail: detail)
        let sealed = try cipher.sealJSON(
            record, key: keys.metadataCipherKey, binding: AuditChain.binding(seq: seq, at: timestamp, action: action.rawValue, outcome: outcome.rawValue))
        let hash = try AuditChain.hash(previous: previousHash, seq: seq, at: timestamp, action: action.rawValue, outcome: outcome.rawValue, details: sealed)
        try insert("audit", key: "seq", [
            ("seq", seq), ("at", timestamp), ("action", action.rawValue), ("outcome", outcome.rawValue),
            ("details", sealed), ("prev_hash", previousHash), ("hash", hash),
        ])
    }

    /// Folds this transaction's changes into the vault's integrity digest and signs it, after
    /// checking that the digest it starts from carries this vault's signature.
    mutating func commit() throws {
        guard let row = try db.row(sql: "SELECT digest, counter, seal FROM vault WHERE id = 1") else {
            throw VaultError.integrityMismatch(reason: "the vault row is missing")
        }
        var digest = IntegrityDigest(bytes: [UInt8](try row["digest"] as Data))
        let counter: Int64 = try row["counter"]
        guard let authorityKey = keys.authorityPublicKey else { throw VaultError.notAuthorized(reason: "only an admin identity can change the vault") }
        guard digest.bytes.count == IntegrityDigest.count,
              digest.isSigned([UInt8](try row["seal"] as Data), counter: counter, vaultID: keys.vaultID, authority: authorityKey)
        else {
            throw VaultError.integrityMismatch(reason: "the integrity digest in the vault row does not carry the vault's signature")
        }
        digest.toggle(delta.bytes)
        let seal = try digest.signature(counter: counter + 1, vaultID: keys.vaultID, authority: authority)
        try db.execute(sql: "UPDATE vault SET digest = ?, counter = ?, seal = ? WHERE id = 1", arguments: [Data(digest.bytes), counter + 1, Data(seal)])
        delta = .empty
    }
}

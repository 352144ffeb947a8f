import Age
import CryptoPrimitives
import Foundation
import Storage

extension Vault {
    /// The vault's recipients and their roles.
    public func recipients() throws -> [KeyringRecipient] {
        try read { db in try recipients(db) }
    }

    func recipients(_ db: any StorageTransaction) throws -> [KeyringRecipient] {
            try db.rows(sql: "SELECT * FROM keyring ORDER BY created_at, recipient").map { row in
                let id = RecordID(try row["id"] as Data)
                let name = try (row["name"] as Data?).map { sealed in
                    try cipher.open(sealed, key: keys.metadataCipherKey, binding: .init(table: "keyring", column: "name", row: id))
                        .withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                }
                guard let role = Role(rawValue: try row["role"]) else {
                    throw VaultError.tampered(table: "keyring", row: id.description, reason: "has an unknown role")
                }
                try authenticate(table: "keyring", row: row)
                return KeyringRecipient(
                    recipient: try row["recipient"], role: role, name: name,
                    added: Date(timeIntervalSince1970: TimeInterval(try row["created_at"] as Int64)))
            }
    }

    /// Adds a recipient. An `admin` gets both data keys wrapped to it, a `reader` the metadata key only.
    public func addRecipient(_ recipient: X25519Recipient, role: Role, name: String? = nil, now: Date = Date()) throws {
        if let name { try Validation.printable(name, field: "name", maximumCount: 128) }
        try write(now: now) { writer in
            if try writer.db.value(Bool.self, sql: "SELECT 1 FROM keyring WHERE recipient = ?", arguments: [recipient.description]) == true {
                throw VaultError.recipientProblem(reason: "\(recipient) is already a recipient; remove it first to change its role")
            }
            try Self.insertRecipient(recipient, role: role, name: name, keys: keys, writer: &writer)
            try writer.audit(.recipientAdd, detail: "\(role.rawValue) \(recipient)")
        }
    }

    /// Removes a recipient. The last admin cannot be removed.
    ///
    /// The removed identity may have kept a copy of the data keys; ``rekey(removingRecipient:now:)``
    /// replaces them, and can do both at once.
    public func removeRecipient(_ recipient: String, now: Date = Date()) throws {
        try write(now: now) { writer in try Self.deleteRecipient(recipient, writer: &writer) }
    }

    /// Deletes `recipient`'s keyring entry and audits it; refuses an unknown recipient or the last admin.
    private static func deleteRecipient(_ recipient: String, writer: inout VaultWriter) throws {
        guard let row = try writer.db.row(sql: "SELECT id, role FROM keyring WHERE recipient = ?", arguments: [recipient]) else {
            throw VaultError.recipientNotFound(recipient)
        }
        let admins = try writer.db.value(Int.self, sql: "SELECT COUNT(*) FROM keyring WHERE role = 'admin'") ?? 0
        if try row["role"] == Role.admin.rawValue, admins <= 1 {
            throw VaultError.recipientProblem(reason: "\(recipient) is the only admin; add another admin before removing it")
        }
        try writer.delete("keyring", id: RecordID(row["id"] as Data))
        try writer.audit(.recipientRemove, detail: "\(row["role"] as String) \(recipient)")
    }

    /// Replaces both data keys with new random ones: every sealed column is re-encrypted, every
    /// lookup hash recomputed, and the new keys wrapped to every recipient, in one transaction.
    /// Returns the vault unlocked with the new keys.
    ///
    /// - Parameter removingRecipient: a recipient to remove first, in the same transaction, so
    ///   there is no moment at which it is gone from the keyring but the data keys it may have
    ///   copied still open the vault (`recipients remove --rekey`). Refused as
    ///   ``removeRecipient(_:now:)`` refuses it (unknown, or the last admin), and then nothing changes.
    public func rekey(removingRecipient: String? = nil, now: Date = Date()) throws -> Vault {
        try keys.requireAdmin()
        let rekeyed: Vault = try Self.translatingDatabaseErrors {
            try storage.write { db in
                // Another process may have rekeyed since this one opened the vault: the keys
                // replaced are the ones in the file now.
                try followRekey(db)
                let keys = self.keys
                let oldSecretKey = try keys.requireSecretKey()
                let oldAuthority = try keys.requireAuthority()
                let newKeys = try DataKeys.generate(vaultID: keys.vaultID, generation: keys.generation &+ 1)
                let newAuthority = try newKeys.requireAuthority()
                let newAuthorityKey = try newAuthority.publicKey()
                let rekeyed = Vault(
                    path: path, actor: actor, storage: storage, keys: newKeys, identities: sharedKeys.identities, authority: newAuthorityKey)
                // Read everything with the old keys first, so damage or forgery stops the rekey
                // before any write (and is never re-tagged as genuine).
                try checkIntegrity(db)
                if let removingRecipient {
                    // Audited under the old keys; every row is re-sealed, re-tagged and re-chained
                    // below and the digest recomputed, so this writer is never committed.
                    var removal = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                    try Self.deleteRecipient(removingRecipient, writer: &removal)
                }
                let keyring = try recipients(db)
                let keyringRows = try db.rows(sql: "SELECT id, recipient FROM keyring")
                let apps = try db.rows(sql: "SELECT * FROM apps").map { try decodeApp($0) }
                let credentialRows = try db.rows(sql: "SELECT * FROM credentials")
                let audit = try auditEntries(db)
                // The rotation journal is sealed with the metadata key too; left behind, its rows
                // would fail authentication under the new key (verify: damaged; rotate: stuck).
                let journals = hasJournal ? try db.rows(sql: "SELECT * FROM rotations").map { try decodeJournal($0) } : []
                let syncs = try db.tableExists("tenant_syncs") ? try db.rows(sql: "SELECT * FROM tenant_syncs").map { try decodeTenantSync($0) } : []
                var writer = try VaultWriter(db: db, keys: newKeys, actor: actor, now: now)
                for row in keyringRows {
                    let id = RecordID(try row["id"] as Data)
                    let rowRecipient: String = try row["recipient"]
                    let entry = keyring.first { $0.recipient == rowRecipient }!
                    let recipient = try X25519Recipient(entry.recipient)
                    let name = try entry.name.map {
                        try rekeyed.cipher.seal(Array($0.utf8), key: newKeys.metadataCipherKey, binding: .init(table: "keyring", column: "name", row: id))
                    }
                    try db.execute(
                        sql: "UPDATE keyring SET wrapped = ?, name = ? WHERE id = ?",
                        arguments: [Data(try KeyringEntry.wrap(newKeys, role: entry.role, to: recipient)), name, id.data])
                }
                for app in apps {
                    let labelHash = try rekeyed.lookupHash("label", app.app.label)
                    let appIDHash = try rekeyed.lookupHash("app-id", app.app.appID)
                    try db.execute(
                        sql: "UPDATE apps SET label_hash = ?, app_id_hash = ?, meta = ? WHERE id = ?",
                        arguments: [
                            labelHash, appIDHash, try rekeyed.sealApp(app.app, id: app.id, labelHash: labelHash, appIDHash: appIDHash), app.id.data,
                        ])
                }
                for row in credentialRows {
                    let record = try decodeCredential(row)
                    let expiresAt: Int64? = try row["expires_at"]
                    var secret: Data?
                    if let sealed = try row["secret"] as Data? {
                        let value = try cipher.open(sealed, key: oldSecretKey, binding: Self.credentialSecretBinding(id: record.id, app: record.appRecordID))
                        secret = try rekeyed.cipher.seal(value, key: newKeys.secretCipherKey!, binding: Self.credentialSecretBinding(id: record.id, app: record.appRecordID))
                    }
                    let keyIDHash = try rekeyed.lookupHash("key-id", record.credential.keyID)
                    let meta = try rekeyed.cipher.seal(
                        record.credential.record(), key: newKeys.metadataCipherKey,
                        binding: Self.credentialMetaBinding(
                            id: record.id, app: record.appRecordID, state: row["state"], expiresAt: expiresAt, keyIDHash: keyIDHash))
                    try db.execute(
                        sql: "UPDATE credentials SET key_id_hash = ?, meta = ?, secret = ? WHERE id = ?",
                        arguments: [keyIDHash, meta, secret, record.id.data])
                }
                for journal in journals {
                    try db.execute(sql: "UPDATE rotations SET meta = ? WHERE id = ?", arguments: [try rekeyed.sealJournal(journal), journal.id.data])
                }
                for sync in syncs {
                    let meta = try rekeyed.cipher.sealJSON(sync.state, key: newKeys.metadataCipherKey, binding: Self.tenantSyncBinding(id: sync.id))
                    try db.execute(sql: "UPDATE tenant_syncs SET meta = ? WHERE id = ?", arguments: [meta, sync.id.data])
                }
                for entry in audit.entries {
                    let details = AuditDetails(actor: entry.actor, app: entry.app, appID: entry.appID, keyID: entry.keyID, detail: entry.detail)
                    try db.execute(
                        sql: "UPDATE audit SET details = ? WHERE seq = ?",
                        arguments: [
                            try rekeyed.cipher.sealJSON(details, key: newKeys.metadataCipherKey, binding: AuditChain.binding(seq: entry.sequence, at: Int64(entry.at.timeIntervalSince1970), action: entry.action.rawValue, outcome: entry.outcome.rawValue)),
                            entry.sequence,
                        ])
                }
                // The audit chain hashes the sealed details, so it is rebuilt from the first entry.
                var previous = Data(repeating: 0, count: 32)
                for row in try db.rows(sql: "SELECT * FROM audit ORDER BY seq") {
                    let hash = try AuditChain.hash(
                        previous: previous, seq: row["seq"], at: row["at"], action: row["action"], outcome: row["outcome"], details: row["details"])
                    try db.execute(sql: "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [previous, hash, row["seq"] as Int64])
                    previous = hash
                }
                // The new authority key, endorsed by the old one, so that every recipient that
                // pinned the old key can follow the rekey without trusting the file.
                let generation = Int64(newKeys.generation)
                try db.execute(sql: "DELETE FROM authority WHERE generation = ?", arguments: [generation])
                try db.execute(
                    sql: "INSERT INTO authority (generation, public_key, endorsement) VALUES (?, ?, ?)",
                    arguments: [
                        generation, Data(newAuthorityKey.rawRepresentation),
                        Data(try oldAuthority.signature(for: Self.endorsementMessage(vaultID: newKeys.vaultID, generation: generation, publicKey: newAuthorityKey))),
                    ])
                let digest = try IntegrityDigest.reauthenticate(db, key: try newKeys.requireAuthenticationKey())
                let counter = (try db.value(Int64.self, sql: "SELECT counter FROM vault WHERE id = 1") ?? 0)
                try db.execute(
                    sql: "UPDATE vault SET digest = ?, counter = ?, seal = ?, authority = ? WHERE id = 1",
                    arguments: [
                        Data(digest.bytes), counter, Data(try digest.signature(counter: counter, vaultID: newKeys.vaultID, authority: newAuthority)),
                        Data(newAuthorityKey.rawRepresentation),
                    ])
                try writer.audit(.vaultRekey, detail: "data keys replaced (generation \(newKeys.generation)); \(apps.count) apps, \(credentialRows.count) credentials re-encrypted")
                try writer.commit()
                return rekeyed
            }
        }
        var result = rekeyed
        result.format = format
        return result
    }
}

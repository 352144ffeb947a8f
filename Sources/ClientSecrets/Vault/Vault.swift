import Age
import CryptoPrimitives
import Foundation
import Storage
import StorageSQLite

/// An unlocked vault: tables whose identifying fields and secret values are encrypted record by
/// record, in one SQLite file (the embedded backend) behind the storage seam.
///
/// ```swift
/// let identities = try IdentityFile.load(path: identityPath) { try askPassphrase() }
/// let vault = try Vault.open(at: Vault.defaultPath(), identities: identities)
/// for item in try vault.expiring(within: 30 * 86_400) {
///     print(item.app.label, item.credential.expires!)
/// }
/// ```
///
/// Every change is one transaction that also appends to the audit log and updates the
/// integrity digest. Several processes may use one vault at once; a writer waits for another's
/// write to finish.
public struct Vault: Sendable {
    /// Where the vault lives: the path of its SQLite file.
    public let path: String
    /// What the unlocking identity may do.
    public var role: Role { keys.role }
    /// Who changes are attributed to in the audit log.
    public let actor: String

    /// The backend the tables live in. Commands reach it through ``read(_:)`` and
    /// ``write(now:_:)``; only creating, opening, upgrading and rekeying a vault, which make or
    /// replace the keys a writer needs, run their own transactions on it.
    let storage: any StorageBackend
    /// Shared by every copy of this value, so that all of them follow a rekey by another process.
    let sharedKeys: SharedKeys
    /// The data keys in use; see ``SharedKeys``.
    var keys: DataKeys { sharedKeys.keys }
    var cipher: RecordCipher { RecordCipher(vaultID: keys.vaultID) }
    /// The format the file is in: 2, or 1 for a vault a reader opened before any admin upgraded it.
    var format = VaultSchema.baseFormat
    /// Whether the rotation journal's table exists: in every format-2 vault, and in a format-1
    /// vault only if it was made after rotation existed (an admin's open adds it). Known from
    /// the open on, so that no read asks the schema.
    var hasJournal = true
    /// What opening decided about trust that a person should hear once (a pin set on first use,
    /// a pin moved along a rekey, an upgrade, a legacy vault), or `nil`.
    public internal(set) var trustNotice: String?

    /// - Parameters:
    ///   - identities: what unlocked `keys`, to follow a rekey by another process with.
    ///   - authority: the authority key trusted for `keys`; `nil` until ``open(at:identities:actor:trust:)``
    ///     has anchored it.
    init(path: String, actor: String, storage: any StorageBackend, keys: DataKeys, identities: [X25519Identity] = [], authority: Ed25519.PublicKey?) {
        self.path = path
        self.actor = actor
        self.storage = storage
        self.sharedKeys = SharedKeys(keys, identities: identities, authority: authority)
    }

    /// Creates a new vault at `path` whose only recipient is `admin`, refusing to replace any
    /// existing file. The file (and its WAL) is created with mode 0600.
    public static func create(
        at path: String, admin: X25519Recipient, name: String? = nil, actor: String = AuditActor.current, now: Date = Date()
    ) throws -> Vault {
        let storage = try VaultBackend.create(at: path)
        do {
            let vaultID = try SecureRandom.bytes(count: 16)
            let keys = try DataKeys.generate(vaultID: vaultID, generation: 1)
            let created = Int64(now.timeIntervalSince1970)
            try storage.write { db in
                try VaultSchema.create(db)
                let authority = try keys.requireAuthority()
                let seal = try IntegrityDigest.empty.signature(counter: 0, vaultID: vaultID, authority: authority)
                try db.execute(
                    sql: "INSERT INTO vault (id, vault_id, format, created_at, digest, counter, seal, authority) VALUES (1, ?, ?, ?, ?, 0, ?, ?)",
                    arguments: [
                        Data(vaultID), VaultSchema.baseFormat, created, Data(IntegrityDigest.empty.bytes), Data(seal),
                        Data(try authority.publicKey().rawRepresentation),
                    ])
                try db.execute(
                    sql: "INSERT INTO authority (generation, public_key, endorsement) VALUES (?, ?, NULL)",
                    arguments: [Int64(keys.generation), Data(try authority.publicKey().rawRepresentation)])
                var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                try Self.insertRecipient(admin, role: .admin, name: name, keys: keys, writer: &writer)
                try writer.audit(.vaultInit, detail: "admin recipient \(admin)")
                try writer.commit()
            }
            return Vault(path: path, actor: actor, storage: storage, keys: keys, authority: keys.authorityPublicKey)
        } catch {
            try? storage.close()
            VaultBackend.discard(at: path)
            throw translated(error)
        }
    }

    /// Whether a vault exists at `location`: a file at a path, or the vault's tables in the
    /// PostgreSQL database a `postgresql://` URL names.
    ///
    /// - Throws: ``VaultError/storage(reason:)`` when the server cannot be reached.
    public static func exists(at location: String) throws -> Bool {
        try VaultBackend.exists(at: location)
    }

    /// Opens the vault at `path` with the first of `identities` that is one of its recipients,
    /// and anchors its authority key as `trust` says (see ``KnownVaults``).
    ///
    /// An admin's open upgrades a format-1 vault in place (one transaction, audited); a reader
    /// can read a format-1 vault, which cannot prove who wrote it, until an admin has opened it.
    ///
    /// - Throws: ``VaultError/vaultNotFound(path:)``, ``VaultError/notAVault(path:reason:)``,
    ///   ``VaultError/cannotUnlock(reason:)`` when no identity is a recipient,
    ///   ``VaultError/tampered(table:row:reason:)`` when its keyring entry is damaged or hands
    ///   out keys that are not the vault's, and ``VaultError/untrusted(reason:)`` when the
    ///   vault's authority key is not the one pinned.
    public static func open(
        at path: String, identities: [X25519Identity], actor: String = AuditActor.current, trust: VaultTrust = .unpinned
    ) throws -> Vault {
        let storage = try openStorage(path: path)
        let (keys, format, hasJournal): (DataKeys, Int, Bool) = try Self.translatingDatabaseErrors {
            try storage.read { db in
                let vaultID = [UInt8](try db.value(Data.self, sql: "SELECT vault_id FROM vault WHERE id = 1") ?? Data())
                guard vaultID.count == 16 else { throw VaultError.integrityMismatch(reason: "the vault row has no valid vault id") }
                let format = try db.value(Int.self, sql: "SELECT format FROM vault WHERE id = 1") ?? 0
                guard (1...VaultSchema.formatVersion).contains(format) else {
                    throw VaultError.notAVault(path: path, reason: "its format \(format) is not one this version reads (1 to \(VaultSchema.formatVersion)); use a newer secrets")
                }
                for identity in identities {
                    let recipient = identity.recipient.description
                    guard let row = try db.row(sql: "SELECT id, role, wrapped FROM keyring WHERE recipient = ?", arguments: [recipient])
                    else { continue }
                    guard let role = Role(rawValue: try row["role"]) else {
                        throw VaultError.tampered(table: "keyring", row: RecordID(try row["id"] as Data).description, reason: "has an unknown role")
                    }
                    if let keys = try KeyringEntry.unwrap([UInt8](row["wrapped"] as Data), identity: identity, expectedRole: role, vaultID: vaultID) {
                        return (keys, format, try format >= 2 || db.tableExists("rotations"))
                    }
                    throw VaultError.tampered(
                        table: "keyring", row: RecordID(try row["id"] as Data).description, reason: "is not wrapped to the recipient it names")
                }
                let names = identities.map(\.recipient.description).joined(separator: ", ")
                throw VaultError.cannotUnlock(reason: "the identity (\(names)) is not a recipient of this vault; an admin can add it with `secrets recipients add`")
            }
        }
        var vault = Vault(path: path, actor: actor, storage: storage, keys: keys, identities: identities, authority: nil)
        vault.format = format
        vault.hasJournal = hasJournal
        let pinned = try trust.knownVaults?.fingerprint(for: vault.vaultID)
        if pinned == nil, let known = try trust.knownVaults?.vault(at: path), known.vaultID != vault.vaultID {
            // Not a first use: this identity opened another vault at this very path. A file
            // re-made with keys of someone else's choosing has a new vault id, and so no pin.
            throw VaultError.untrusted(reason: "\(path) held vault \(known.vaultID) (fingerprint \(known.pin.fingerprint)) when this identity last opened it, and now holds vault \(vault.vaultID): the file was replaced; do not use it. If an admin re-created it and confirms its fingerprint out of band, run `secrets fingerprint --accept FINGERPRINT`")
        }
        if format == 1 {
            if let pinned {
                throw VaultError.untrusted(reason: "this identity pinned the vault's authority key \(pinned), but the file is in the old format that has none: someone put back an older copy or stripped its authentication; restore a copy you trust")
            }
            guard keys.role == .admin else {
                vault.trustNotice = "this vault is in the old format, whose rows cannot prove an admin wrote them; an admin's next command upgrades it"
                return vault
            }
            try vault.upgrade()
            vault.format = VaultSchema.baseFormat
            vault.hasJournal = true
            vault.trustNotice = "upgraded the vault to format \(VaultSchema.baseFormat): every row is now authenticated with an admin-only key; its fingerprint is \(try vault.fingerprint())"
        }
        try vault.anchor(trust: trust, pinned: pinned)
        vault.sharedKeys.anchor(try vault.storedAuthority())
        return vault
    }

    /// Closes the vault's storage now, instead of when the last copy of this value goes: for a
    /// command that ends its process straight after. Nothing may use the vault afterwards.
    public func close() throws {
        try Self.translatingDatabaseErrors { try storage.close() }
    }

    /// The vault's random id, shown as hexadecimal.
    public var vaultID: String { Hex.encode(keys.vaultID) }

    /// Runs `body` as one write transaction with a writer that keeps the digest and audit log in step.
    func write<T>(now: Date = Date(), _ body: (inout VaultWriter) throws -> T) throws -> T {
        try keys.requireAdmin()
        return try Self.translatingDatabaseErrors {
            try storage.write { db in
                try followRekey(db)
                var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                let result = try body(&writer)
                try writer.commit()
                return result
            }
        }
    }

    /// Runs each of `bodies` in its own savepoint of one write transaction, so that concurrent
    /// rotations share one commit (one fsync) instead of each paying for its own. A body that
    /// throws is rolled back alone; its error is returned in its place.
    func writeBatch(now: Date = Date(), _ bodies: [(inout VaultWriter) throws -> Void]) -> [(any Error)?] {
        do {
            try keys.requireAdmin()
            return try Self.translatingDatabaseErrors {
                try storage.write { db in
                    var results: [(any Error)?] = []
                    try followRekey(db)
                    var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                    for body in bodies {
                        let saved = writer.delta
                        do {
                            try db.savepoint { try body(&writer) }
                            results.append(nil)
                        } catch {
                            // The backend may have rolled back the whole transaction (disk full,
                            // I/O error): then every body of the batch failed with it.
                            guard db.isInsideTransaction else { throw error }
                            // The server undid the whole transaction's work: it is run again, whole.
                            if let storage = error as? StorageError, storage.kind == .conflict { throw error }
                            writer.delta = saved
                            results.append(Self.translated(error))
                        }
                    }
                    try writer.commit()
                    return results
                }
            }
        } catch {
            return Array(repeating: error, count: bodies.count)
        }
    }

    /// Runs `body` in a read transaction, after following any rekey another process made.
    /// The backend refuses a read that changes anything.
    package func read<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try Self.translatingDatabaseErrors {
            try storage.read { db in
                try followRekey(db)
                return try body(db)
            }
        }
    }

    /// Opens the backend at `path` and checks that it holds a vault this version reads.
    static func openStorage(path: String) throws -> any StorageBackend {
        let storage = try VaultBackend.open(at: path)
        do {
            let format = try storage.read { db -> Int? in
                guard try db.tableExists("vault") else { return nil }
                return try db.value(Int.self, sql: "SELECT format FROM vault WHERE id = 1")
            }
            guard let format else { throw VaultError.notAVault(path: path, reason: "it has no vault table") }
            guard (1...VaultSchema.formatVersion).contains(format) else {
                throw VaultError.notAVault(path: path, reason: "format \(format) is not one this version reads (1 to \(VaultSchema.formatVersion)); use a newer secrets")
            }
            return storage
        } catch let error as StorageError {
            throw VaultError.notAVault(path: path, reason: error.message)
        }
    }

    static func translatingDatabaseErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw translated(error)
        }
    }

    /// A storage error as a ``VaultError`` a person can act on; other errors unchanged. No raw
    /// database message reaches the user except for damage and I/O: a constraint that fails is
    /// another process's change (an app removed, a key stored) that this one ran into.
    static func translated(_ error: any Error) -> any Error {
        guard let error = error as? StorageError else { return error }
        switch error.kind {
        case .busy(let waited):
            return VaultError.storage(reason: "another process kept the vault busy for over \(Int(waited)) s; try again")
        case .conflict:
            // Only after the backend's own retries (PostgreSQLStorage.maximumAttempts).
            return VaultError.busy(reason: "the database server kept rolling this change back as conflicting with others (\(error.message)), so nothing was written; run this command again")
        case .damaged:
            // A damaged file (cut short, pages overwritten) is damage, not an I/O failure: 65, not 74.
            return VaultError.integrityMismatch(reason: "SQLite finds the file itself damaged (\(error.message))")
        case .missingReference:
            return VaultError.busy(reason: "the app this change belongs to was removed from the vault by another command meanwhile (`secrets app remove`), so nothing was written")
        case .duplicate:
            return VaultError.busy(reason: "another command stored a record with the same label, app ID or key ID meanwhile, so nothing was written; run this command again to see the vault as it is now")
        case .constraint:
            return VaultError.storage(reason: "the change broke a rule of the vault's tables, so nothing was written (the file may have been edited outside secrets; `secrets verify` checks it)")
        case .unexpectedValue:
            return VaultError.integrityMismatch(reason: "a vault table holds a value of the wrong type (\(error.message)); the file was edited outside secrets")
        case .exists, .notFound, .notADatabase, .readOnly, .other:
            return VaultError.storage(reason: error.message)
        }
    }

    static func insertRecipient(_ recipient: X25519Recipient, role: Role, name: String?, keys: DataKeys, writer: inout VaultWriter) throws {
        let id = try RecordID.random()
        let sealedName = try name.map {
            try writer.cipher.seal(Array($0.utf8), key: keys.metadataCipherKey, binding: .init(table: "keyring", column: "name", row: id))
        }
        try writer.insert("keyring", [
            ("id", id.data), ("role", role.rawValue), ("recipient", recipient.description), ("name", sealedName),
            ("wrapped", Data(try KeyringEntry.wrap(keys, role: role, to: recipient))), ("created_at", writer.timestamp),
        ])
    }
}

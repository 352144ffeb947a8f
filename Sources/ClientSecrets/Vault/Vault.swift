import Age
import CryptoPrimitives
import Foundation
import GRDB

/// An unlocked vault: one SQLite file whose identifying fields and secret values are encrypted
/// record by record.
///
/// ```swift
/// let identities = try IdentityFile.load(path: identityPath) { try askPassphrase() }
/// let vault = try Vault.open(at: Vault.defaultPath(), identities: identities)
/// for item in try vault.expiring(within: 30 * 86_400) {
///     print(item.app.label, item.credential.expires!)
/// }
/// ```
///
/// Every change is one SQLite transaction that also appends to the audit log and updates the
/// integrity digest. Several processes may use one vault at once; a writer waits for another's
/// write to finish.
public struct Vault: Sendable {
    /// The path of the SQLite file.
    public let path: String
    /// What the unlocking identity may do.
    public var role: Role { keys.role }
    /// Who changes are attributed to in the audit log.
    public let actor: String

    let queue: DatabaseQueue
    /// Shared by every copy of this value, so that all of them follow a rekey by another process.
    let sharedKeys: SharedKeys
    /// The data keys in use; see ``SharedKeys``.
    var keys: DataKeys { sharedKeys.keys }
    var cipher: RecordCipher { RecordCipher(vaultID: keys.vaultID) }
    /// The format the file is in: 2, or 1 for a vault a reader opened before any admin upgraded it.
    var format = VaultSchema.formatVersion
    /// What opening decided about trust that a person should hear once (a pin set on first use,
    /// a pin moved along a rekey, an upgrade, a legacy vault), or `nil`.
    public internal(set) var trustNotice: String?

    /// - Parameters:
    ///   - identities: what unlocked `keys`, to follow a rekey by another process with.
    ///   - authority: the authority key trusted for `keys`; `nil` until ``open(at:identities:actor:trust:)``
    ///     has anchored it.
    init(path: String, actor: String, queue: DatabaseQueue, keys: DataKeys, identities: [X25519Identity] = [], authority: Ed25519.PublicKey?) {
        self.path = path
        self.actor = actor
        self.queue = queue
        self.sharedKeys = SharedKeys(keys, identities: identities, authority: authority)
    }

    /// Creates a new vault at `path` whose only recipient is `admin`, refusing to replace any
    /// existing file. The file (and its WAL) is created with mode 0600.
    public static func create(
        at path: String, admin: X25519Recipient, name: String? = nil, actor: String = AuditActor.current, now: Date = Date()
    ) throws -> Vault {
        let queue = try VaultFile.create(path: path)
        do {
            let vaultID = try SecureRandom.bytes(count: 16)
            let keys = try DataKeys.generate(vaultID: vaultID, generation: 1)
            let created = Int64(now.timeIntervalSince1970)
            try queue.write { db in
                try VaultSchema.create(db)
                let authority = try keys.requireAuthority()
                let seal = try IntegrityDigest.empty.signature(counter: 0, vaultID: vaultID, authority: authority)
                try db.execute(
                    sql: "INSERT INTO vault (id, vault_id, format, created_at, digest, counter, seal, authority) VALUES (1, ?, ?, ?, ?, 0, ?, ?)",
                    arguments: [
                        Data(vaultID), VaultSchema.formatVersion, created, Data(IntegrityDigest.empty.bytes), Data(seal),
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
            return Vault(path: path, actor: actor, queue: queue, keys: keys, authority: keys.authorityPublicKey)
        } catch {
            try? queue.close()
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            throw error
        }
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
        let queue = try VaultFile.open(path: path)
        let (keys, format): (DataKeys, Int) = try Self.translatingDatabaseErrors {
            try queue.read { db in
                let vaultID = [UInt8](try Data.fetchOne(db, sql: "SELECT vault_id FROM vault WHERE id = 1") ?? Data())
                guard vaultID.count == 16 else { throw VaultError.integrityMismatch(reason: "the vault row has no valid vault id") }
                let format = try Int.fetchOne(db, sql: "SELECT format FROM vault WHERE id = 1") ?? 0
                guard format == 1 || format == VaultSchema.formatVersion else {
                    throw VaultError.notAVault(path: path, reason: "its format \(format) is not one this version reads (1 or \(VaultSchema.formatVersion)); use a newer secrets")
                }
                for identity in identities {
                    let recipient = identity.recipient.description
                    guard let row = try Row.fetchOne(db, sql: "SELECT id, role, wrapped FROM keyring WHERE recipient = ?", arguments: [recipient])
                    else { continue }
                    guard let role = Role(rawValue: row["role"]) else {
                        throw VaultError.tampered(table: "keyring", row: RecordID(row["id"] as Data).description, reason: "has an unknown role")
                    }
                    if let keys = try KeyringEntry.unwrap([UInt8](row["wrapped"] as Data), identity: identity, expectedRole: role, vaultID: vaultID) {
                        return (keys, format)
                    }
                    throw VaultError.tampered(
                        table: "keyring", row: RecordID(row["id"] as Data).description, reason: "is not wrapped to the recipient it names")
                }
                let names = identities.map(\.recipient.description).joined(separator: ", ")
                throw VaultError.cannotUnlock(reason: "the identity (\(names)) is not a recipient of this vault; an admin can add it with `secrets recipients add`")
            }
        }
        var vault = Vault(path: path, actor: actor, queue: queue, keys: keys, identities: identities, authority: nil)
        vault.format = format
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
            vault.format = VaultSchema.formatVersion
            vault.trustNotice = "upgraded the vault to format \(VaultSchema.formatVersion): every row is now authenticated with an admin-only key; its fingerprint is \(try vault.fingerprint())"
        }
        try vault.anchor(trust: trust, pinned: pinned)
        vault.sharedKeys.anchor(try vault.storedAuthority())
        return vault
    }

    /// The vault's random id, shown as hexadecimal.
    public var vaultID: String { Hex.encode(keys.vaultID) }

    /// Runs `body` as one write transaction with a writer that keeps the digest and audit log in step.
    func write<T>(now: Date = Date(), _ body: (inout VaultWriter) throws -> T) throws -> T {
        try keys.requireAdmin()
        return try Self.translatingDatabaseErrors {
            try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    try followRekey(db)
                    var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                    result = try body(&writer)
                    try writer.commit()
                    return .commit
                }
                return result!
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
                try queue.writeWithoutTransaction { db in
                    var results: [(any Error)?] = []
                    try db.inTransaction(.immediate) {
                        try followRekey(db)
                        var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                        for body in bodies {
                            let saved = writer.delta
                            do {
                                try db.inSavepoint {
                                    try body(&writer)
                                    return .commit
                                }
                                results.append(nil)
                            } catch {
                                // SQLite may have rolled back the whole transaction (disk full,
                                // I/O error): then every body of the batch failed with it.
                                guard db.isInsideTransaction else { throw error }
                                writer.delta = saved
                                results.append(Self.translated(error))
                            }
                        }
                        try writer.commit()
                        return .commit
                    }
                    return results
                }
            }
        } catch {
            return Array(repeating: error, count: bodies.count)
        }
    }

    /// Runs `body` in a read transaction.
    ///
    /// Not GRDB's `read`: that marks each read with `PRAGMA query_only`, and SQLite expires every
    /// prepared statement whenever that flag changes, so each read made every cached statement
    /// compile again, which was a third of a bulk rotation's CPU. A read here is a deferred
    /// transaction instead, and one that changed anything is rolled back and refused, which keeps
    /// the guarantee `query_only` gave.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        try Self.translatingDatabaseErrors {
            try queue.inDatabase { db in
                var result: T?
                let changesBefore = db.totalChangesCount
                try db.inTransaction(.deferred) {
                    try followRekey(db)
                    result = try body(db)
                    guard db.totalChangesCount == changesBefore else {
                        throw DatabaseError(resultCode: .SQLITE_READONLY, message: "a read of the vault tried to change it; nothing was changed")
                    }
                    return .commit
                }
                return result!
            }
        }
    }

    static func translatingDatabaseErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw translated(error)
        }
    }

    /// A SQLite error as a ``VaultError`` a person can act on; other errors unchanged. No raw
    /// SQLite message reaches the user: a constraint that fails is another process's change
    /// (an app removed, a key stored) that this one ran into.
    static func translated(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return VaultError.storage(reason: "another process kept the vault busy for over \(Int(VaultFile.busyTimeout)) s; try again")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            // A damaged file (cut short, pages overwritten) is damage, not an I/O failure: 65, not 74.
            return VaultError.integrityMismatch(reason: "SQLite finds the file itself damaged (\(error.message ?? "\(error.resultCode)"))")
        case .SQLITE_CONSTRAINT:
            let message = error.message ?? ""
            if error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY || message.contains("FOREIGN KEY") {
                return VaultError.busy(reason: "the app this change belongs to was removed from the vault by another command meanwhile (`secrets app remove`), so nothing was written")
            }
            if error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
                || message.contains("UNIQUE") {
                return VaultError.busy(reason: "another command stored a record with the same label, app ID or key ID meanwhile, so nothing was written; run this command again to see the vault as it is now")
            }
            return VaultError.storage(reason: "the change broke a rule of the vault's tables, so nothing was written (the file may have been edited outside secrets; `secrets verify` checks it)")
        default:
            return VaultError.storage(reason: error.message ?? "SQLite error \(error.resultCode)")
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

import CryptoPrimitives
import Foundation
import Storage

/// The vault's authority key: derived from the secret key, so only admins can sign with it;
/// pinned by every recipient beside its identity (``KnownVaults``), so that a keyring entry that
/// hands out other keys, or a whole file re-made with other keys, is refused.
extension Vault {
    /// The fingerprint of the vault's authority key, as pinned and as `secrets recipients add`
    /// prints it: `SHA256:` and the unpadded base64 of the key's SHA-256.
    public func fingerprint() throws -> String {
        guard format >= 2 else {
            throw VaultError.untrusted(reason: "this vault is in the old format and has no authority key yet; an admin's next command upgrades it")
        }
        return Self.fingerprint(of: try storedAuthority())
    }

    static func fingerprint(of key: Ed25519.PublicKey) -> String {
        // SHA-256 of 32 bytes cannot fail; OpenSSL failing here means the process is broken.
        let digest = (try? SHA256.hash(key.rawRepresentation)) ?? []
        return "SHA256:" + Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The authority key the vault row names.
    func storedAuthority() throws -> Ed25519.PublicKey {
        try read { db in try storedAuthority(db) }
    }

    func storedAuthority(_ db: any StorageTransaction) throws -> Ed25519.PublicKey {
        guard let bytes = try db.value(Data.self, sql: "SELECT authority FROM vault WHERE id = 1"), bytes.count == Ed25519.keyCount else {
            throw VaultError.integrityMismatch(reason: "the vault row names no valid authority key")
        }
        return try Ed25519.PublicKey(rawRepresentation: [UInt8](bytes))
    }

    /// What an authority key signs to endorse the next generation's.
    static func endorsementMessage(vaultID: [UInt8], generation: Int64, publicKey: Ed25519.PublicKey) -> [UInt8] {
        Array("secrets/v2 authority\u{0}".utf8) + vaultID + withUnsafeBytes(of: generation.bigEndian, Array.init) + publicKey.rawRepresentation
    }

    /// Checks the authority key against the keys this identity unwrapped, the digest's signature,
    /// and the pin; pins on first use and follows endorsed rekeys.
    mutating func anchor(trust: VaultTrust, pinned: String?) throws {
        let (authority, chain) = try read { db -> (Ed25519.PublicKey, [(generation: Int64, key: Ed25519.PublicKey, endorsement: [UInt8]?)]) in
            let authority = try storedAuthority(db)
            guard let row = try db.row(sql: "SELECT digest, counter, seal FROM vault WHERE id = 1") else {
                throw VaultError.integrityMismatch(reason: "the vault row is missing")
            }
            // Every column is read as optional: the file is untrusted, and a NULL must be refused, not trap.
            guard let digestBytes = try row["digest"] as Data?, let seal = try row["seal"] as Data?, let counter = try row["counter"] as Int64?,
                  digestBytes.count == IntegrityDigest.count,
                  IntegrityDigest(bytes: [UInt8](digestBytes)).isSigned([UInt8](seal), counter: counter, vaultID: keys.vaultID, authority: authority)
            else {
                throw VaultError.integrityMismatch(reason: "the integrity digest does not carry the vault's signature")
            }
            let chain = try db.rows(sql: "SELECT generation, public_key, endorsement FROM authority ORDER BY generation").map { row in
                guard let generation = try row["generation"] as Int64?, let key = try row["public_key"] as Data?, key.count == Ed25519.keyCount else {
                    throw VaultError.integrityMismatch(reason: "the vault's authority table has a malformed row")
                }
                return (generation, try Ed25519.PublicKey(rawRepresentation: [UInt8](key)), (try row["endorsement"] as Data?).map { [UInt8]($0) })
            }
            return (authority, chain)
        }
        try Self.checkSuccession(chain, authority: authority, generation: Int64(keys.generation), vaultID: keys.vaultID)
        // An admin derives the authority key from its own secret key: a keyring entry that hands
        // it any other secret key (anyone can encrypt one to its public key) ends here.
        if let own = keys.authorityPublicKey, own != authority {
            throw VaultError.untrusted(reason: "this identity's keyring entry holds keys that are not the vault's (its authority key differs): someone replaced the entry; do not use this vault, restore a copy you trust")
        }
        let current = Self.fingerprint(of: authority)
        guard let knownVaults = trust.knownVaults else { return }
        guard let pinned else {
            if let expected = trust.expectedFingerprint, expected != current {
                throw VaultError.untrusted(reason: "the vault's fingerprint is \(current), not the \(expected) you were given; do not use it, and ask the admin who added you")
            }
            try knownVaults.pin(vaultID: vaultID, fingerprint: current, vaultPath: path)
            trustNotice = [trustNotice, trust.expectedFingerprint == nil
                ? "first use of vault \(vaultID): pinned its fingerprint \(current) in \(knownVaults.path); compare it with the one the admin who added you was shown"
                : "pinned vault \(vaultID), fingerprint \(current) as expected"].compactMap { $0 }.joined(separator: "; ")
            return
        }
        if pinned == current {
            // Keeps the path current (a vault moved or copied), which is what a replaced file is told by.
            if (try? knownVaults.vault(at: path))??.vaultID != vaultID { try? knownVaults.pin(vaultID: vaultID, fingerprint: current, vaultPath: path) }
            return
        }
        // A rekey replaced the authority key: follow the endorsements from the pinned key on.
        let unrelated = VaultError.untrusted(reason: "the vault's fingerprint is \(current), not the \(pinned) pinned in \(knownVaults.path), and no endorsement leads from one to the other: the file was replaced or its keys substituted; do not use it. If an admin confirms \(current) out of band, run `secrets fingerprint --accept \(current)`")
        guard let start = chain.firstIndex(where: { Self.fingerprint(of: $0.1) == pinned }) else { throw unrelated }
        var previous = chain[start].1
        for (generation, key, endorsement) in chain[(start + 1)...] {
            guard let endorsement, previous.isValidSignature(endorsement, for: Self.endorsementMessage(vaultID: keys.vaultID, generation: generation, publicKey: key)) else {
                throw VaultError.untrusted(reason: "the vault's authority key of generation \(generation) is not endorsed by the one before it: the file was tampered with; do not use it")
            }
            previous = key
        }
        guard previous == authority else { throw unrelated }
        try knownVaults.pin(vaultID: vaultID, fingerprint: current, vaultPath: path)
        trustNotice = [trustNotice, "the vault was rekeyed since this identity last opened it: followed the endorsed authority keys from \(pinned) to \(current) and updated the pin"].compactMap { $0 }.joined(separator: "; ")
    }

    /// Checks the authority table as a whole: a first key nobody endorsed, then one key per
    /// generation, each endorsed by the one before, ending with the vault's authority key at the
    /// data keys' generation. The table is outside the digest; this is what protects it.
    static func checkSuccession(
        _ chain: [(generation: Int64, key: Ed25519.PublicKey, endorsement: [UInt8]?)], authority: Ed25519.PublicKey, generation: Int64,
        vaultID: [UInt8]
    ) throws {
        func broken(_ why: String) -> VaultError { .integrityMismatch(reason: "the vault's authority table \(why)") }
        guard let first = chain.first, let last = chain.last else { throw broken("is empty") }
        guard first.endorsement == nil else { throw broken("starts with a key that claims an endorsement") }
        guard last.generation == generation, last.key == authority else {
            throw broken("does not end with the vault's authority key at the keys' generation \(generation)")
        }
        for (previous, next) in zip(chain, chain.dropFirst()) {
            guard next.generation == previous.generation + 1, let endorsement = next.endorsement,
                  previous.key.isValidSignature(endorsement, for: endorsementMessage(vaultID: vaultID, generation: next.generation, publicKey: next.key))
            else { throw broken("holds a key of generation \(next.generation) that the key before it did not endorse") }
        }
    }

    /// Upgrades a format-1 vault in place, in one transaction: checks it as format 1 first (so
    /// damage is not blessed), then tags every row with the admin-only key, records and signs
    /// with the authority key, and audits the upgrade.
    ///
    /// A format-1 vault cannot prove that an admin wrote it (readers held every key its
    /// integrity needed); the upgrade is the moment from which forgery by readers is detected.
    func upgrade(now: Date = Date()) throws {
        let authenticationKey = try keys.requireAuthenticationKey()
        let authority = try keys.requireAuthority()
        try Self.translatingDatabaseErrors {
            try storage.write { db in
                guard try db.value(Int.self, sql: "SELECT format FROM vault WHERE id = 1") == 1 else { return }
                guard let row = try db.row(sql: "SELECT digest, counter, seal FROM vault WHERE id = 1") else {
                    throw VaultError.integrityMismatch(reason: "the vault row is missing")
                }
                let stored = IntegrityDigest(bytes: [UInt8](try row["digest"] as Data))
                guard try stored.seal(counter: row["counter"], vaultID: keys.vaultID, key: keys.integrityKey) == [UInt8](row["seal"] as Data),
                      try IntegrityDigest.recompute(db, key: keys.integrityKey) == stored
                else {
                    throw VaultError.integrityMismatch(reason: "the vault does not match its integrity digest, so it is not upgraded; restore it from an export or backup")
                }
                try VaultSchema.addAuthentication(db)
                let digest = try IntegrityDigest.reauthenticate(db, key: authenticationKey)
                let counter: Int64 = try row["counter"]
                let publicKey = try authority.publicKey()
                // Replaces a row of this generation, in SQL every backend runs.
                try db.execute(sql: "DELETE FROM authority WHERE generation = ?", arguments: [Int64(keys.generation)])
                try db.execute(
                    sql: "INSERT INTO authority (generation, public_key, endorsement) VALUES (?, ?, NULL)",
                    arguments: [Int64(keys.generation), Data(publicKey.rawRepresentation)])
                try db.execute(
                    sql: "UPDATE vault SET format = ?, digest = ?, seal = ?, authority = ? WHERE id = 1",
                    arguments: [
                        VaultSchema.baseFormat, Data(digest.bytes),
                        Data(try digest.signature(counter: counter, vaultID: keys.vaultID, authority: authority)), Data(publicKey.rawRepresentation),
                    ])
                var writer = try VaultWriter(db: db, keys: keys, actor: actor, now: now)
                try writer.audit(.vaultUpgrade, detail: "format 1 -> \(VaultSchema.baseFormat): rows authenticated with an admin-only key, digest signed by authority \(Self.fingerprint(of: publicKey))")
                try writer.commit()
            }
        }
    }

    /// Checks one row's authentication tag before an admin relies on it; readers, who cannot,
    /// rely on ``checkIntegrity()``. Rows read without their `auth` column are not checked here.
    func authenticate(table: String, row: StoredRow) throws {
        guard format >= 2, let key = keys.authenticationKey, row.hasColumn("auth") else { return }
        let tag = try IntegrityDigest.tag(table: table, row: row, key: key)
        guard let stored = try row["auth"] as Data?, ConstantTime.equals(tag, [UInt8](stored)) else {
            throw VaultError.tampered(
                table: table, row: IntegrityDigest.rowName(table: table, row: row),
                reason: "was not written by an admin of this vault (its authentication tag does not match)")
        }
    }
}

import CryptoPrimitives
import Foundation
import Storage

extension Vault {
    /// Called at the start of every transaction: when another process replaced the data keys
    /// since this one read them, takes up the new ones (see ``SharedKeys``), so that what this
    /// process writes next is sealed with them and what it reads opens.
    ///
    /// Without it, a rekey in the middle of a rotation made the rotation's next write fail the
    /// digest's signature check, reported as "the vault is damaged or was tampered with",
    /// and lost a Jamf Pro API client's new secret. The new keys come from this identity's own
    /// keyring entry, and are taken only when the authority key they derive is the vault's and
    /// was endorsed, generation by generation, by the one this process already trusts; else the
    /// failure says what happened.
    func followRekey(_ db: any StorageTransaction) throws {
        guard format >= 2, let trusted = sharedKeys.authority else { return }
        let known = keys
        guard let latest = try db.value(Int64.self, sql: "SELECT MAX(generation) FROM authority"),
              latest != Int64(known.generation)
        else { return }
        let what = "the vault's data keys were replaced by another process (`secrets rekey` or `recipients remove --rekey`; generation \(known.generation) → \(latest)) while this command ran"
        guard latest > Int64(known.generation) else {
            throw VaultError.untrusted(reason: "the vault's authority keys go back to generation \(latest) from the \(known.generation) this command opened: someone put back an older copy of the file while it ran; do not use it")
        }
        guard !sharedKeys.identities.isEmpty else {
            throw VaultError.busy(reason: "\(what), and this handle cannot unwrap the new ones; nothing more was written: open the vault again and repeat")
        }
        var unwrapped: DataKeys?
        for identity in sharedKeys.identities {
            let recipient = identity.recipient.description
            guard let row = try db.row(sql: "SELECT id, role, wrapped FROM keyring WHERE recipient = ?", arguments: [recipient]),
                  let role = Role(rawValue: try row["role"]), let wrapped = try row["wrapped"] as Data?
            else { continue }
            unwrapped = try KeyringEntry.unwrap([UInt8](wrapped), identity: identity, expectedRole: role, vaultID: known.vaultID)
            if unwrapped != nil { break }
        }
        guard let fresh = unwrapped else {
            throw VaultError.cannotUnlock(reason: "\(what), and this identity is no longer one of its recipients; nothing more was written")
        }
        let authority = try storedAuthority(db)
        let chain = try db.rows(sql: "SELECT generation, public_key, endorsement FROM authority ORDER BY generation").map { row in
            guard let generation = try row["generation"] as Int64?, let key = try row["public_key"] as Data?, key.count == Ed25519.keyCount else {
                throw VaultError.integrityMismatch(reason: "the vault's authority table has a malformed row")
            }
            return (generation: generation, key: try Ed25519.PublicKey(rawRepresentation: [UInt8](key)), endorsement: (try row["endorsement"] as Data?).map { [UInt8]($0) })
        }
        try Self.checkSuccession(chain, authority: authority, generation: Int64(fresh.generation), vaultID: known.vaultID)
        // The chain must pass through the key this process trusted: a table rewritten from
        // another first key would otherwise lead anywhere.
        guard chain.contains(where: { $0.generation == Int64(known.generation) && $0.key == trusted })
        else {
            throw VaultError.untrusted(reason: "\(what), but the new authority key is not endorsed by the one this command trusted: the file was replaced or its keys substituted; do not use it")
        }
        if let own = fresh.authorityPublicKey, own != authority {
            throw VaultError.untrusted(reason: "\(what), but this identity's new keyring entry holds keys that are not the vault's: someone replaced the entry; do not use this vault")
        }
        sharedKeys.replace(fresh, authority: authority)
    }
}

import CryptoPrimitives
import Foundation

/// The vault's two data keys and the subkeys derived from them, held in wiped storage.
///
/// The metadata key protects every identifying field; the secret key protects secret values only.
/// A `reader` has no secret key at all, so no code path can decrypt a value for it.
struct DataKeys: Sendable {
    static let keyCount = 32

    let vaultID: [UInt8]
    let generation: UInt32
    let metadataKey: SecureBytes
    let secretKey: SecureBytes?

    /// Encrypts metadata columns.
    let metadataCipherKey: SecureBytes
    /// Keys the label and app-ID lookup hashes.
    let lookupKey: SecureBytes
    /// Keyed the integrity digest of format-1 vaults. Readers hold it, which is why format 2
    /// authenticates rows with ``authenticationKey`` instead; kept to check a vault before upgrading it.
    let integrityKey: SecureBytes
    /// Encrypts secret values; `nil` for readers.
    let secretCipherKey: SecureBytes?
    /// Authenticates every row (its `auth` column) and so the digest; derived from the secret
    /// key, so only admins can compute it. `nil` for readers.
    let authenticationKey: SecureBytes?
    /// Signs the integrity digest; derived from the secret key, so only admins hold it, while
    /// its public half (the vault's authority key) lets every recipient check the signature.
    let authority: Ed25519.SigningKey?
    /// The public half of ``authority``: what recipients pin.
    let authorityPublicKey: Ed25519.PublicKey?

    var role: Role { secretKey == nil ? .reader : .admin }

    init(vaultID: [UInt8], generation: UInt32, metadataKey: SecureBytes, secretKey: SecureBytes?) throws {
        self.vaultID = vaultID
        self.generation = generation
        self.metadataKey = metadataKey
        self.secretKey = secretKey
        func derive(_ key: SecureBytes, _ purpose: String) throws -> SecureBytes {
            try HKDF.sha256(inputKeyMaterial: key, salt: vaultID, info: Array("secrets v1 \(purpose)".utf8), outputCount: 32)
        }
        metadataCipherKey = try derive(metadataKey, "metadata encryption")
        lookupKey = try derive(metadataKey, "lookup")
        integrityKey = try derive(metadataKey, "integrity")
        secretCipherKey = try secretKey.map { try derive($0, "secret encryption") }
        authenticationKey = try secretKey.map { try derive($0, "admin row authentication") }
        authority = try secretKey.map { try Ed25519.SigningKey(seed: derive($0, "authority signing key")) }
        authorityPublicKey = try authority?.publicKey()
    }

    /// The row-authentication key, or ``VaultError/notAuthorized(reason:)`` for a reader.
    func requireAuthenticationKey() throws -> SecureBytes {
        guard let authenticationKey else {
            throw VaultError.notAuthorized(reason: "this identity is a reader of the vault; only an admin identity can change it")
        }
        return authenticationKey
    }

    /// The authority signing key, or ``VaultError/notAuthorized(reason:)`` for a reader.
    func requireAuthority() throws -> Ed25519.SigningKey {
        guard let authority else {
            throw VaultError.notAuthorized(reason: "this identity is a reader of the vault; only an admin identity can change it")
        }
        return authority
    }

    /// Fresh random keys for a new vault or a rekey.
    static func generate(vaultID: [UInt8], generation: UInt32) throws -> DataKeys {
        try DataKeys(
            vaultID: vaultID, generation: generation,
            metadataKey: SecureBytes.random(count: keyCount), secretKey: SecureBytes.random(count: keyCount))
    }

    /// Throws ``VaultError/notAuthorized(reason:)`` unless these are an admin's keys.
    ///
    /// A reader holds the metadata and integrity keys, so cryptography alone cannot stop it
    /// from writing metadata; every write path checks this first.
    func requireAdmin() throws {
        guard secretCipherKey != nil else {
            throw VaultError.notAuthorized(reason: "this identity is a reader of the vault; only an admin identity can change it")
        }
    }

    /// The secret cipher key, or ``VaultError/notAuthorized(reason:)`` for a reader.
    func requireSecretKey() throws -> SecureBytes {
        guard let secretCipherKey else {
            throw VaultError.notAuthorized(reason: "this identity is a reader of the vault; only an admin identity can read or store secret values")
        }
        return secretCipherKey
    }
}

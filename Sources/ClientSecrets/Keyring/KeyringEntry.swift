import Age
import CryptoPrimitives
import Foundation

/// The plaintext of one keyring entry, wrapped as an age file to one recipient:
///
/// ```
/// "secrets-keyring-v1\n" | role (1: admin, 2: reader) | generation (4, big-endian)
///   | vault id (16) | metadata key (32) | secret key (32, admin only)
/// ```
///
/// The vault id inside the encrypted entry is what makes an entry copied from another vault fail.
enum KeyringEntry {
    static let magic = Array("secrets-keyring-v1\n".utf8)

    static func wrap(_ keys: DataKeys, role: Role, to recipient: X25519Recipient) throws -> [UInt8] {
        let secret: SecureBytes? = role == .admin ? keys.secretKey : nil
        let count = magic.count + 1 + 4 + 16 + 32 + (secret == nil ? 0 : 32)
        let plaintext = SecureBytes(count: count) { buffer in
            var offset = 0
            func put(_ bytes: UnsafeRawBufferPointer) {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
                offset += bytes.count
            }
            magic.withUnsafeBytes(put)
            [UInt8(role == .admin ? 1 : 2)].withUnsafeBytes(put)
            withUnsafeBytes(of: keys.generation.bigEndian, put)
            keys.vaultID.withUnsafeBytes(put)
            keys.metadataKey.withUnsafeBytes(put)
            secret?.withUnsafeBytes(put)
        }
        return try AgeFile.encrypt(plaintext, to: [recipient])
    }

    /// Unwraps an entry with `identity`; `nil` when the identity is not this entry's recipient.
    static func unwrap(_ file: [UInt8], identity: X25519Identity, expectedRole: Role, vaultID: [UInt8]) throws -> DataKeys? {
        let plaintext: SecureBytes
        do {
            plaintext = try AgeFile.decrypt(file, identities: [identity])
        } catch AgeError.noMatchingIdentity {
            return nil
        } catch {
            throw VaultError.tampered(table: "keyring", row: "for \(identity.recipient)", reason: "cannot be decrypted (\(error))")
        }
        return try plaintext.withUnsafeBytes { bytes -> DataKeys in
            let expectedCount = magic.count + 1 + 4 + 16 + 32 + (expectedRole == .admin ? 32 : 0)
            guard bytes.count == expectedCount, bytes.starts(with: magic) else {
                throw VaultError.tampered(table: "keyring", row: "for \(identity.recipient)", reason: "holds an entry of the wrong shape")
            }
            var offset = magic.count
            let roleByte = bytes[offset]
            offset += 1
            guard roleByte == (expectedRole == .admin ? 1 : 2) else {
                throw VaultError.tampered(table: "keyring", row: "for \(identity.recipient)", reason: "claims a role its entry does not hold")
            }
            let generation = bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset += 4
            guard Array(bytes[offset..<(offset + 16)]) == vaultID else {
                throw VaultError.tampered(table: "keyring", row: "for \(identity.recipient)", reason: "belongs to another vault")
            }
            offset += 16
            let metadataKey = SecureBytes(copying: bytes[offset..<(offset + 32)])
            offset += 32
            let secretKey = expectedRole == .admin ? SecureBytes(copying: bytes[offset..<(offset + 32)]) : nil
            return try DataKeys(vaultID: vaultID, generation: generation, metadataKey: metadataKey, secretKey: secretKey)
        }
    }
}

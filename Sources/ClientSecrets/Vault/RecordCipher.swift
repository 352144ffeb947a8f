import CryptoPrimitives
import Foundation

/// Seals and opens the encrypted columns of vault rows with AES-256-GCM.
///
/// A sealed column is `0x01 | nonce (12) | ciphertext | tag (16)`. Its associated data names the
/// vault, the table, the column, the row, and any clear columns the row's meaning depends on,
/// so a ciphertext moved to another row, table or vault, or a clear column edited beside it,
/// fails to open.
struct RecordCipher: Sendable {
    static let formatVersion: UInt8 = 1
    private static let algorithm = AEADAlgorithm.aes256GCM

    let vaultID: [UInt8]

    /// Where a sealed value belongs.
    struct Binding {
        var table: String
        var column: String
        var row: RecordID
        /// Clear values stored beside the ciphertext that must not change without it.
        var context: [String] = []
        /// How errors name the row, when not by its id (audit entries go by sequence number).
        var rowName: String?

        var name: String { rowName ?? row.description }
    }

    func associatedData(_ binding: Binding) -> [UInt8] {
        var aad = Array("secrets/v1".utf8)
        aad += vaultID
        for part in [binding.table, binding.column] + binding.context {
            let bytes = Array(part.utf8)
            aad += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init)
            aad += bytes
        }
        aad += binding.row.bytes
        return aad
    }

    func seal(_ plaintext: some ContiguousByteStorage, key: SecureBytes, binding: Binding) throws -> Data {
        let nonce = try SecureRandom.bytes(count: Self.algorithm.nonceCount)
        let sealed = try Self.algorithm.seal(plaintext, key: key, nonce: nonce, authenticating: associatedData(binding))
        var out = Data([Self.formatVersion])
        out.append(contentsOf: nonce)
        out.append(contentsOf: sealed)
        return out
    }

    func open(_ stored: Data, key: SecureBytes, binding: Binding) throws -> SecureBytes {
        let minimum = 1 + Self.algorithm.nonceCount + Self.algorithm.tagCount
        guard stored.count >= minimum, stored.first == Self.formatVersion else {
            throw VaultError.tampered(table: binding.table, row: binding.name, reason: "has a malformed \(binding.column) column")
        }
        let bytes = [UInt8](stored)
        let nonce = Array(bytes[1...Self.algorithm.nonceCount])
        do {
            return try Self.algorithm.open(
                bytes[(1 + Self.algorithm.nonceCount)...], key: key, nonce: nonce, authenticating: associatedData(binding))
        } catch {
            throw VaultError.tampered(
                table: binding.table, row: binding.name,
                reason: "failed authentication in its \(binding.column) column (changed, or moved from another row)")
        }
    }

    /// Seals a JSON-encoded value.
    func sealJSON<T: Encodable>(_ value: T, key: SecureBytes, binding: Binding) throws -> Data {
        var json = [UInt8](try Self.encoder.encode(value))
        defer { Cleanse.wipe(&json) }
        return try seal(json, key: key, binding: binding)
    }

    /// Opens and decodes a JSON-encoded value.
    func openJSON<T: Decodable>(_ type: T.Type, from stored: Data, key: SecureBytes, binding: Binding) throws -> T {
        let plaintext = try open(stored, key: key, binding: binding)
        do {
            return try plaintext.withUnsafeBytes { try Self.decoder.decode(T.self, from: Data($0)) }
        } catch {
            throw VaultError.tampered(table: binding.table, row: binding.name, reason: "holds an unreadable \(binding.column) record")
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}

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

    /// The size of a sealed column holding `count` bytes of plaintext.
    static func sealedCount(_ count: Int) -> Int { 1 + algorithm.nonceCount + count + algorithm.tagCount }

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
        /// Stored bytes beside the ciphertext (the owning app's id, lookup hashes), bound so
        /// that they cannot be swapped.
        var bound: [Data] = []

        var name: String { rowName ?? row.description }
    }

    private static let domain = Array("secrets/v1".utf8)

    /// `"secrets/v1" | vault id | (length, bytes) of table, column, each context string and each
    /// bound value | row id`. Built with one allocation: it runs twice per listed row.
    func associatedData(_ binding: Binding) -> [UInt8] {
        var count = Self.domain.count + vaultID.count + binding.row.bytes.count + 8
        count += binding.table.utf8.count + binding.column.utf8.count
        for part in binding.context { count += 4 + part.utf8.count }
        for bytes in binding.bound { count += 4 + bytes.count }
        var writer = AssociatedDataWriter(capacity: count)
        writer.begin(vaultID: vaultID, table: binding.table, column: binding.column)
        for part in binding.context { writer.append(part) }
        for bytes in binding.bound { bytes.withUnsafeBytes { writer.append($0) } }
        binding.row.bytes.withUnsafeBytes { writer.finish(row: $0) }
        return writer.bytes
    }

    /// Writes associated data in the layout ``associatedData(_:)`` describes, into a buffer that
    /// can be reused from row to row (``begin(vaultID:table:column:)`` starts over without
    /// freeing it). The one definition of the layout: ``associatedData(_:)`` uses it too.
    struct AssociatedDataWriter {
        private(set) var bytes: [UInt8] = []

        init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

        /// Starts over with `"secrets/v1" | vault id | (length, bytes) of table and column`.
        mutating func begin(vaultID: [UInt8], table: String, column: String) {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: RecordCipher.domain)
            bytes.append(contentsOf: vaultID)
            append(table)
            append(column)
        }

        private mutating func appendLength(_ length: Int) {
            let value = UInt32(length)
            bytes.append(UInt8(truncatingIfNeeded: value >> 24))
            bytes.append(UInt8(truncatingIfNeeded: value >> 16))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
            bytes.append(UInt8(truncatingIfNeeded: value))
        }

        /// A context string or a bound value: its length, then its bytes.
        mutating func append(_ part: UnsafeRawBufferPointer) {
            appendLength(part.count)
            bytes.append(contentsOf: part)
        }

        mutating func append(_ string: String) {
            var string = string
            string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }

        /// Ends with the row id, which has no length in front.
        mutating func finish(row: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: row)
        }
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
        try open(stored, using: AEADContext(algorithm: Self.algorithm, key: key), binding: binding)
    }

    /// A context for `key` that ``open(_:using:binding:)`` can reuse across many rows.
    static func context(for key: SecureBytes) throws -> AEADContext {
        try AEADContext(algorithm: algorithm, key: key)
    }

    /// Opens with a context made by ``context(for:)``, saving a key set-up per row.
    func open(_ stored: Data, using context: AEADContext, binding: Binding) throws -> SecureBytes {
        let minimum = 1 + Self.algorithm.nonceCount + Self.algorithm.tagCount
        guard stored.count >= minimum, stored.first == Self.formatVersion else {
            throw VaultError.tampered(table: binding.table, row: binding.name, reason: "has a malformed \(binding.column) column")
        }
        let nonce = [UInt8](stored[stored.startIndex + 1 ..< stored.startIndex + 1 + Self.algorithm.nonceCount])
        do {
            return try stored.withUnsafeBytes { bytes in
                try context.open(
                    UnsafeRawBufferPointer(rebasing: bytes[(1 + Self.algorithm.nonceCount)...]), nonce: nonce,
                    authenticating: associatedData(binding))
            }
        } catch {
            throw VaultError.tampered(
                table: binding.table, row: binding.name,
                reason: "failed authentication in its \(binding.column) column (changed, or moved from another row)")
        }
    }

    /// Opens a metadata record and parses it with `parse`; a record that does not parse is
    /// reported as damage. Records are metadata, not key material, so they are decrypted in
    /// place in an ordinary buffer rather than in wiped storage: this runs for every listed row.
    func openRecord<T>(
        _ stored: Data, using context: AEADContext, binding: Binding, _ parse: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T {
        let aad = associatedData(binding)
        return try stored.withUnsafeBytes { stored in
            try aad.withUnsafeBytes { aad in
                try Self.openRecord(
                    stored, using: context, associatedData: aad, table: binding.table, column: binding.column,
                    rowName: { binding.name }, parse)
            }
        }
    }

    /// ``openRecord(_:using:binding:_:)`` for a caller that built the associated data itself
    /// (with ``AssociatedDataWriter``) and holds the stored column as bytes, as the listings do:
    /// the same checks and errors, without a ``Binding`` or a `Data` per row.
    static func openRecord<T>(
        _ stored: UnsafeRawBufferPointer, using context: AEADContext, associatedData aad: UnsafeRawBufferPointer,
        table: String, column: String, rowName: () -> String, _ parse: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T {
        let nonceCount = algorithm.nonceCount
        guard stored.count >= 1 + nonceCount + algorithm.tagCount, stored.first == formatVersion else {
            throw VaultError.tampered(table: table, row: rowName(), reason: "has a malformed \(column) column")
        }
        // Decrypted in a scratch copy on the stack: records are small, and this runs per row.
        return try withUnsafeTemporaryAllocation(byteCount: stored.count, alignment: 1) { buffer in
            buffer.copyMemory(from: stored)
            let plaintextCount: Int
            do {
                plaintextCount = try context.openInPlace(
                    UnsafeMutableRawBufferPointer(rebasing: buffer[(1 + nonceCount)...]),
                    nonce: UnsafeRawBufferPointer(rebasing: buffer[1...nonceCount]), authenticating: aad)
            } catch {
                throw VaultError.tampered(
                    table: table, row: rowName(),
                    reason: "failed authentication in its \(column) column (changed, or moved from another row)")
            }
            do {
                return try parse(UnsafeRawBufferPointer(rebasing: buffer[(1 + nonceCount)..<(1 + nonceCount + plaintextCount)]))
            } catch {
                throw VaultError.tampered(table: table, row: rowName(), reason: "holds an unreadable \(column) record")
            }
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

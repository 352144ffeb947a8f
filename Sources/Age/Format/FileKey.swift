import CryptoPrimitives

/// The random 128-bit key an age file is encrypted under; recipients wrap it, identities unwrap it.
public struct FileKey: Sendable {
    /// Size of a file key in bytes.
    public static let count = 16

    /// The key, in wiped storage.
    public let bytes: SecureBytes

    /// Wraps an unwrapped file key; it must be exactly 16 bytes.
    public init(_ bytes: SecureBytes) throws {
        guard bytes.count == FileKey.count else {
            throw AgeError.malformedHeader(reason: "wrapped file key is not 16 bytes")
        }
        self.bytes = bytes
    }

    /// A fresh random file key.
    public static func generate() throws -> FileKey {
        try FileKey(SecureBytes.random(count: count))
    }

    /// HKDF-SHA-256 of the file key with `salt` and the ASCII `label`, 32 bytes.
    func derive(salt: [UInt8], label: String) throws -> SecureBytes {
        try HKDF.sha256(inputKeyMaterial: bytes, salt: salt, info: Array(label.utf8), outputCount: 32)
    }
}

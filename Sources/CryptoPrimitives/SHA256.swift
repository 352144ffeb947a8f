import COpenSSL

/// The SHA-256 hash function.
public enum SHA256 {
    /// Size of a digest in bytes.
    public static let digestCount = 32

    /// The SHA-256 digest of `message`.
    public static func hash(_ message: some ContiguousByteStorage) throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestCount)
        var length: UInt32 = 0
        let status = message.withUnsafeBytes { message in
            EVP_Digest(message.bytePointer, message.count, &digest, &length, EVP_sha256(), nil)
        }
        guard status == 1, length == UInt32(digestCount) else {
            throw CryptoError.openSSL("EVP_Digest(SHA-256)")
        }
        return digest
    }
}

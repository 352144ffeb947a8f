import COpenSSL

/// HMAC (RFC 2104) with SHA-256.
public enum HMAC {
    /// Size of an HMAC-SHA-256 tag in bytes.
    public static let sha256Count = 32

    /// The HMAC-SHA-256 of `message` under `key`.
    public static func sha256(key: SecureBytes, message: some ContiguousByteStorage) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: sha256Count)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { key in
            message.withUnsafeBytes { message in
                COpenSSL.HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count),
                    message.bytePointer, message.count, &output, &length)
            }
        }
        guard result != nil, length == UInt32(sha256Count) else {
            throw CryptoError.openSSL("HMAC(SHA-256)")
        }
        return output
    }

    /// True when `tag` is the HMAC-SHA-256 of `message` under `key`, compared in constant time.
    public static func isValidSHA256(_ tag: [UInt8], key: SecureBytes, message: some ContiguousByteStorage) throws -> Bool {
        ConstantTime.equals(try sha256(key: key, message: message), tag)
    }
}

import COpenSSL

/// The authenticated ciphers this project uses, all with 32-byte keys, 12-byte nonces and
/// 16-byte tags appended to the ciphertext.
public enum AEADAlgorithm: Sendable, Hashable {
    /// ChaCha20-Poly1305 (RFC 8439), as age uses it.
    case chaCha20Poly1305
    /// AES-256 in Galois/Counter Mode.
    case aes256GCM

    /// Key size in bytes.
    public var keyCount: Int { 32 }
    /// Nonce size in bytes.
    public var nonceCount: Int { 12 }
    /// Authentication tag size in bytes.
    public var tagCount: Int { 16 }

    var evpCipher: OpaquePointer? {
        switch self {
        case .chaCha20Poly1305: return EVP_chacha20_poly1305()
        case .aes256GCM: return EVP_aes_256_gcm()
        }
    }

    var name: String {
        switch self {
        case .chaCha20Poly1305: return "ChaCha20-Poly1305"
        case .aes256GCM: return "AES-256-GCM"
        }
    }

    /// Encrypts `plaintext` and returns ciphertext followed by the tag.
    public func seal(
        _ plaintext: some ContiguousByteStorage, key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        try AEADContext(algorithm: self, key: key).seal(plaintext, nonce: nonce, authenticating: aad)
    }

    /// Verifies and decrypts ciphertext-with-tag; the plaintext comes back in wiped storage.
    ///
    /// - Throws: ``CryptoError/authenticationFailed`` when the key, nonce, data or tag do not match.
    public func open(
        _ sealed: some ContiguousByteStorage, key: SecureBytes, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> SecureBytes {
        try AEADContext(algorithm: self, key: key).open(sealed, nonce: nonce, authenticating: aad)
    }
}

/// Byte containers whose storage can be borrowed contiguously.
///
/// A small local stand-in for Foundation's protocol of the same name, so that this module
/// does not need Foundation.
public protocol ContiguousByteStorage {
    /// Calls `body` with the bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousByteStorage where Element == UInt8 {}
extension ArraySlice: ContiguousByteStorage where Element == UInt8 {}
extension SecureBytes: ContiguousByteStorage {}

extension UnsafeRawBufferPointer: ContiguousByteStorage {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

import COpenSSL

/// An RSA public key, held as its `SubjectPublicKeyInfo` (DER): it checks signatures that
/// ``RSAPrivateKey`` (or anyone with the private key) made.
public struct RSAPublicKey: Sendable, Hashable {
    /// The `SubjectPublicKeyInfo` (DER).
    public let subjectPublicKeyInfo: [UInt8]
    /// The key's size in bits.
    public let bits: Int

    /// Reads a `SubjectPublicKeyInfo` (DER) of an RSA key.
    public init(subjectPublicKeyInfo der: [UInt8]) throws {
        let key = try der.withUnsafeBufferPointer { buffer -> OpaquePointer in
            var cursor = buffer.baseAddress
            guard buffer.count > 0, let key = d2i_PUBKEY(nil, &cursor, buffer.count), cursor == buffer.baseAddress! + buffer.count else {
                ERR_clear_error()
                throw CryptoError.invalidKey(reason: "it is not a DER SubjectPublicKeyInfo")
            }
            return key
        }
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    /// The public half of `key` (a private or public OpenSSL key); the caller frees `key`.
    init(evpKey key: OpaquePointer) throws {
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else { throw CryptoError.invalidKey(reason: "it is not an RSA key") }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_PUBKEY") }
        defer { CRYPTO_free(out, #fileID, #line) }
        subjectPublicKeyInfo = Array(UnsafeBufferPointer(start: out, count: Int(length)))
        bits = Int(EVP_PKEY_get_bits(key))
    }

    /// Whether `signature` is `algorithm`'s signature of `message` by the matching private key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], algorithm: RSASignatureAlgorithm) -> Bool {
        (try? withKey { key -> Bool in
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            var keyContext: OpaquePointer?
            guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, key) == 1, let keyContext else {
                ERR_clear_error()
                return false
            }
            try RSAPadding.configure(keyContext, for: algorithm)
            let verified = signature.withUnsafeBufferPointer { signature in
                message.withUnsafeBufferPointer { message in
                    EVP_DigestVerify(context, signature.baseAddress, signature.count, message.baseAddress, message.count)
                }
            }
            ERR_clear_error()
            return verified == 1
        }) ?? false
    }

    func withKey<Result>(_ body: (OpaquePointer) throws -> Result) throws -> Result {
        let key = try subjectPublicKeyInfo.withUnsafeBufferPointer { buffer -> OpaquePointer in
            var cursor = buffer.baseAddress
            guard let key = d2i_PUBKEY(nil, &cursor, buffer.count) else { throw CryptoError.openSSL("d2i_PUBKEY") }
            return key
        }
        defer { EVP_PKEY_free(key) }
        return try body(key)
    }
}

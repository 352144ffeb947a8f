import COpenSSL

/// Ed25519 signatures (RFC 8032) over OpenSSL.
///
/// The vault signs its integrity digest with a key only admins can derive, so that anyone who
/// can read the vault (a `reader`) can check that an admin wrote it, and nobody without the
/// admin's keys can produce a digest that passes.
public enum Ed25519 {
    /// Size of seeds and public keys in bytes.
    public static let keyCount = 32
    /// Size of a signature in bytes.
    public static let signatureCount = 64

    /// A signing key, held as its 32-byte seed in wiped storage.
    public struct SigningKey: Sendable {
        /// The seed, in wiped storage.
        public let seed: SecureBytes

        /// Wraps an existing 32-byte seed (for example one derived with HKDF).
        public init(seed: SecureBytes) throws {
            guard seed.count == keyCount else {
                throw CryptoError.invalidLength(what: "Ed25519 seed", expected: keyCount, actual: seed.count)
            }
            self.seed = seed
        }

        /// The matching public key.
        public func publicKey() throws -> PublicKey {
            let key = try makeEVPKey()
            defer { EVP_PKEY_free(key) }
            var bytes = [UInt8](repeating: 0, count: keyCount)
            var length = keyCount
            guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == keyCount else {
                throw CryptoError.openSSL("EVP_PKEY_get_raw_public_key")
            }
            return try PublicKey(rawRepresentation: bytes)
        }

        /// The signature of `message`.
        public func signature(for message: [UInt8]) throws -> [UInt8] {
            let key = try makeEVPKey()
            defer { EVP_PKEY_free(key) }
            guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(context) }
            // Ed25519 hashes internally: no digest is named, and the one-shot call is required.
            guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { throw CryptoError.openSSL("EVP_DigestSignInit") }
            var signature = [UInt8](repeating: 0, count: signatureCount)
            var length = signatureCount
            let signed = message.withUnsafeBufferPointer { buffer in
                EVP_DigestSign(context, &signature, &length, buffer.baseAddress, buffer.count)
            }
            guard signed == 1, length == signatureCount else { throw CryptoError.openSSL("EVP_DigestSign") }
            return signature
        }

        private func makeEVPKey() throws -> OpaquePointer {
            let key = seed.withUnsafeBytes {
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), keyCount)
            }
            guard let key else { throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key") }
            return key
        }
    }

    /// A public key. Public keys are not secret.
    public struct PublicKey: Sendable, Hashable {
        /// The 32 bytes of the key.
        public let rawRepresentation: [UInt8]

        /// Wraps 32 bytes.
        public init(rawRepresentation: [UInt8]) throws {
            guard rawRepresentation.count == keyCount else {
                throw CryptoError.invalidLength(what: "Ed25519 public key", expected: keyCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = rawRepresentation
        }

        /// Whether `signature` is this key's signature of `message`. Any malformed input is
        /// simply not a valid signature.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            guard signature.count == signatureCount else { return false }
            guard let key = rawRepresentation.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, keyCount)
            }) else {
                ERR_clear_error()
                return false
            }
            defer { EVP_PKEY_free(key) }
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else {
                ERR_clear_error()
                return false
            }
            let verified = message.withUnsafeBufferPointer { buffer in
                EVP_DigestVerify(context, signature, signature.count, buffer.baseAddress, buffer.count)
            }
            ERR_clear_error()
            return verified == 1
        }
    }
}

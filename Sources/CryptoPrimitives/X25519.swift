import COpenSSL

/// X25519 Diffie-Hellman (RFC 7748) over OpenSSL.
public enum X25519 {
    /// Size of keys and shared secrets in bytes.
    public static let keyCount = 32

    /// An X25519 private key (a 32-byte scalar, clamped by the algorithm when used).
    public struct PrivateKey: Sendable {
        /// The scalar, in wiped storage.
        public let rawRepresentation: SecureBytes

        /// Wraps an existing 32-byte scalar.
        public init(rawRepresentation: SecureBytes) throws {
            guard rawRepresentation.count == keyCount else {
                throw CryptoError.invalidLength(what: "X25519 private key", expected: keyCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = rawRepresentation
        }

        /// A new random private key.
        public static func generate() throws -> PrivateKey {
            try PrivateKey(rawRepresentation: .random(count: keyCount))
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

        /// The shared secret with `peer`.
        ///
        /// - Throws: ``CryptoError/lowOrderPoint`` when the result is all zeros, which happens
        ///   exactly when `peer` is a low-order point; callers must treat that as malicious input.
        public func sharedSecret(with peer: PublicKey) throws -> SecureBytes {
            let privateKey = try makeEVPKey()
            defer { EVP_PKEY_free(privateKey) }
            guard let peerKey = peer.rawRepresentation.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, $0.baseAddress, keyCount)
            }) else {
                throw CryptoError.openSSL("EVP_PKEY_new_raw_public_key")
            }
            defer { EVP_PKEY_free(peerKey) }
            guard let context = EVP_PKEY_CTX_new(privateKey, nil) else {
                throw CryptoError.openSSL("EVP_PKEY_CTX_new")
            }
            defer { EVP_PKEY_CTX_free(context) }
            guard EVP_PKEY_derive_init(context) == 1, EVP_PKEY_derive_set_peer(context, peerKey) == 1 else {
                throw CryptoError.openSSL("EVP_PKEY_derive_set_peer")
            }
            var derived = false
            let secret = SecureBytes(count: keyCount) { buffer in
                var length = keyCount
                // OpenSSL refuses (returns 0) when the result is all zeros: the low-order case.
                derived = EVP_PKEY_derive(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
                    && length == keyCount
            }
            guard derived else {
                ERR_clear_error()
                throw CryptoError.lowOrderPoint
            }
            // Belt and braces: never hand out the all-zero secret, whatever OpenSSL's version does.
            guard !secret.withUnsafeBytes({ ConstantTime.isAllZero($0) }) else { throw CryptoError.lowOrderPoint }
            return secret
        }

        private func makeEVPKey() throws -> OpaquePointer {
            let key = rawRepresentation.withUnsafeBytes {
                EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), keyCount)
            }
            guard let key else { throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key") }
            return key
        }
    }

    /// An X25519 public key (a 32-byte u-coordinate). Public keys are not secret.
    public struct PublicKey: Sendable, Hashable {
        /// The 32 bytes of the key.
        public let rawRepresentation: [UInt8]

        /// Wraps 32 bytes.
        public init(rawRepresentation: [UInt8]) throws {
            guard rawRepresentation.count == keyCount else {
                throw CryptoError.invalidLength(what: "X25519 public key", expected: keyCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = rawRepresentation
        }
    }
}

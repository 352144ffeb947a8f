import COpenSSL
import Foundation

/// How an RSA signature is made, as JSON Web Signatures name it (RFC 7518 §3.3 and §3.5).
public enum RSASignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt: what Microsoft's
    /// certificate credentials page asks for today.
    case ps256 = "PS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256: the older form, still accepted.
    case rs256 = "RS256"
}

/// An RSA private key (Entra ID's certificate credentials sign client assertions with RSA),
/// held as its PKCS #8 encoding in wiped storage. An OpenSSL key is made from it for each
/// operation and freed after; OpenSSL clears an RSA key's private numbers when it frees them.
public struct RSAPrivateKey: Sendable {
    /// The smallest key this tool makes or accepts: Entra ID asks for 2048 bits or more.
    public static let minimumBits = 2048
    /// The largest: anything longer only makes each signature slower.
    public static let maximumBits = 16_384
    /// The size of the keys ``generate(bits:)`` makes unless told otherwise (NIST SP 800-57's
    /// 128-bit strength, for certificates that may live three years).
    public static let defaultBits = 3072

    /// The PKCS #8 `PrivateKeyInfo` (DER), in wiped storage.
    public let pkcs8: SecureBytes
    /// The key's size in bits.
    public let bits: Int

    /// A new key from OpenSSL's generator.
    public static func generate(bits: Int = defaultBits) throws -> RSAPrivateKey {
        guard bits >= minimumBits else { throw CryptoError.weakKey(bits: bits, minimum: minimumBits) }
        guard bits <= maximumBits else { throw CryptoError.invalidKey(reason: "keys of more than \(maximumBits) bits are not made") }
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else {
            throw CryptoError.openSSL("EVP_PKEY_keygen_init")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(context, &key) == 1, let key else { throw CryptoError.openSSL("EVP_PKEY_keygen") }
        defer { EVP_PKEY_free(key) }
        return try RSAPrivateKey(owning: key)
    }

    /// Reads a PKCS #8 `PrivateKeyInfo` or a PKCS #1 `RSAPrivateKey` (DER).
    ///
    /// - Throws: ``CryptoError/invalidKey(reason:)`` for anything else (another algorithm, an
    ///   encrypted key, trailing bytes) and ``CryptoError/weakKey(bits:minimum:)`` for a short key.
    public init(der: SecureBytes) throws {
        let key = try der.withUnsafeBytes { bytes -> OpaquePointer in
            guard bytes.count > 0 else { throw CryptoError.invalidKey(reason: "it is empty") }
            let base = bytes.bytePointer
            var cursor: UnsafePointer<UInt8>? = base
            // d2i_AutoPrivateKey reads both PKCS #8 and the traditional PKCS #1 form.
            guard DERSequence.opens(bytes), let key = d2i_AutoPrivateKey(nil, &cursor, bytes.count) else {
                ERR_clear_error()
                throw CryptoError.invalidKey(reason: "it is not a DER private key (PKCS #8 or PKCS #1; an encrypted key must be decrypted first)")
            }
            guard cursor == base + bytes.count else {
                EVP_PKEY_free(key)
                throw CryptoError.invalidKey(reason: "bytes follow the key")
            }
            return key
        }
        defer { EVP_PKEY_free(key) }
        try self.init(owning: key)
    }

    /// Reads a PEM `PRIVATE KEY` (PKCS #8) or `RSA PRIVATE KEY` (PKCS #1) block.
    public init(pem: SecureBytes) throws {
        let der = try PEMBlock.decodeSecret(pem, labels: ["PRIVATE KEY", "RSA PRIVATE KEY"], what: "private key")
        try self.init(der: der)
    }

    /// Checks `key` and keeps its PKCS #8 encoding; the caller frees `key`.
    private init(owning key: OpaquePointer) throws {
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            throw CryptoError.invalidKey(reason: "it is not an RSA key (Entra ID's client assertions are RSA)")
        }
        let bits = Int(EVP_PKEY_get_bits(key))
        guard bits >= Self.minimumBits else { throw CryptoError.weakKey(bits: bits, minimum: Self.minimumBits) }
        guard bits <= Self.maximumBits else { throw CryptoError.invalidKey(reason: "it is longer than \(Self.maximumBits) bits") }
        // The private numbers must belong together: a damaged key would sign what nobody can verify.
        guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey") }
        defer { EVP_PKEY_CTX_free(check) }
        guard EVP_PKEY_pairwise_check(check) == 1 else {
            ERR_clear_error()
            throw CryptoError.invalidKey(reason: "its private and public parts do not belong together")
        }
        guard let info = EVP_PKEY2PKCS8(key) else { throw CryptoError.openSSL("EVP_PKEY2PKCS8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_PKCS8_PRIV_KEY_INFO") }
        // OpenSSL's copy of the encoding is wiped before it is freed.
        defer {
            OPENSSL_cleanse(out, Int(length))
            CRYPTO_free(out, #fileID, #line)
        }
        pkcs8 = SecureBytes(copying: UnsafeRawBufferPointer(start: out, count: Int(length)))
        self.bits = bits
    }

    /// The PEM `PRIVATE KEY` block (PKCS #8), in wiped storage: for an explicit export only.
    public func pemEncoded() -> SecureBytes {
        pkcs8.withUnsafeBytes { PEMBlock.encodeSecret($0, label: "PRIVATE KEY") }
    }

    /// The matching public key.
    public func publicKey() throws -> RSAPublicKey {
        try withKey { key in try RSAPublicKey(evpKey: key) }
    }

    /// The signature of `message` with `algorithm`.
    public func signature(for message: [UInt8], algorithm: RSASignatureAlgorithm) throws -> [UInt8] {
        try withKey { key in
            guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(context) }
            var keyContext: OpaquePointer?
            guard EVP_DigestSignInit(context, &keyContext, EVP_sha256(), nil, key) == 1, let keyContext else {
                throw CryptoError.openSSL("EVP_DigestSignInit")
            }
            try RSAPadding.configure(keyContext, for: algorithm)
            var length = 0
            guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
                throw CryptoError.openSSL("EVP_DigestSign")
            }
            var signature = [UInt8](repeating: 0, count: length)
            guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, &signature, &length, $0.baseAddress, $0.count) }) == 1 else {
                throw CryptoError.openSSL("EVP_DigestSign")
            }
            return Array(signature.prefix(length))
        }
    }

    /// Calls `body` with an OpenSSL key made from ``pkcs8``, freed after.
    func withKey<Result>(_ body: (OpaquePointer) throws -> Result) throws -> Result {
        let key = try pkcs8.withUnsafeBytes { bytes -> OpaquePointer in
            var cursor: UnsafePointer<UInt8>? = bytes.bytePointer
            guard let key = d2i_AutoPrivateKey(nil, &cursor, bytes.count) else { throw CryptoError.openSSL("d2i_AutoPrivateKey") }
            return key
        }
        defer { EVP_PKEY_free(key) }
        return try body(key)
    }
}

/// The padding of each ``RSASignatureAlgorithm``, set on an OpenSSL signing or verifying context.
enum RSAPadding {
    static func configure(_ context: OpaquePointer, for algorithm: RSASignatureAlgorithm) throws {
        switch algorithm {
        case .rs256:
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 else { throw CryptoError.openSSL("EVP_PKEY_CTX_set_rsa_padding") }
        case .ps256:
            // RFC 7518 §3.5: MGF1 with the same hash, and a salt as long as the hash.
            guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(context, EVP_sha256()) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(context, 32) == 1
            else { throw CryptoError.openSSL("EVP_PKEY_CTX_set_rsa_pss_saltlen") }
        }
    }
}

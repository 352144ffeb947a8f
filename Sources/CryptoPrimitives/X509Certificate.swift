import COpenSSL
import Foundation

/// An X.509 certificate, held as its DER: the public half of a certificate credential, which a
/// person uploads to the app registration and Entra ID checks client assertions against.
public struct X509Certificate: Sendable, Hashable {
    /// The certificate (DER).
    public let der: [UInt8]
    /// Its subject, as RFC 2253 writes a name (`CN=secrets rotator`).
    public let subject: String
    /// When it starts to be valid.
    public let notBefore: Date
    /// When it stops being valid.
    public let notAfter: Date
    /// Its public key.
    public let publicKey: RSAPublicKey

    /// Reads a certificate (DER) whose key is RSA.
    ///
    /// - Throws: ``CryptoError/invalidCertificate(reason:)`` for anything that is not one
    ///   certificate, and ``CryptoError/invalidKey(reason:)`` or ``CryptoError/weakKey(bits:minimum:)``
    ///   for its key.
    public init(der: [UInt8]) throws {
        let certificate = try der.withUnsafeBufferPointer { buffer -> OpaquePointer in
            var cursor = buffer.baseAddress
            guard DERSequence.opens(UnsafeRawBufferPointer(buffer)), let certificate = d2i_X509(nil, &cursor, buffer.count) else {
                ERR_clear_error()
                throw CryptoError.invalidCertificate(reason: "it is not a DER X.509 certificate")
            }
            guard cursor == buffer.baseAddress! + buffer.count else {
                X509_free(certificate)
                throw CryptoError.invalidCertificate(reason: "bytes follow the certificate")
            }
            return certificate
        }
        defer { X509_free(certificate) }
        try self.init(certificate, der: der)
    }

    /// Reads a PEM `CERTIFICATE` block.
    public init(pem: String) throws {
        let der: [UInt8]
        do {
            der = try PEMBlock.decode(pem, labels: ["CERTIFICATE"], what: "certificate")
        } catch CryptoError.invalidKey(let reason) {
            throw CryptoError.invalidCertificate(reason: reason)
        }
        try self.init(der: der)
    }

    private init(_ certificate: OpaquePointer, der: [UInt8]) throws {
        guard let key = X509_get0_pubkey(certificate) else {
            ERR_clear_error()
            throw CryptoError.invalidCertificate(reason: "it holds no public key this tool reads")
        }
        let publicKey = try RSAPublicKey(evpKey: key)
        guard publicKey.bits >= RSAPrivateKey.minimumBits else { throw CryptoError.weakKey(bits: publicKey.bits, minimum: RSAPrivateKey.minimumBits) }
        guard let notBefore = Self.date(X509_get0_notBefore(certificate)), let notAfter = Self.date(X509_get0_notAfter(certificate)) else {
            ERR_clear_error()
            throw CryptoError.invalidCertificate(reason: "its validity dates cannot be read")
        }
        guard notBefore < notAfter else { throw CryptoError.invalidCertificate(reason: "it ends before it starts") }
        self.der = der
        self.publicKey = publicKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        subject = try Self.name(X509_get_subject_name(certificate))
    }

    /// A new self-signed certificate for `key`: subject and issuer `CN=commonName`, a random
    /// 128-bit serial, valid from `notBefore` to `notAfter`, signed with SHA-256.
    public static func selfSigned(key: RSAPrivateKey, commonName: String, notBefore: Date, notAfter: Date) throws -> X509Certificate {
        guard !commonName.isEmpty, commonName.utf8.count <= 64 else { throw CryptoError.invalidCertificate(reason: "a common name is 1 to 64 bytes") }
        // Whole seconds, as a certificate holds them, from 1950 (UTCTime's first year) to 9999.
        let range = -631_152_000.0...253_402_300_799.0
        let start = notBefore.timeIntervalSince1970.rounded(.down), end = notAfter.timeIntervalSince1970.rounded(.down)
        guard range.contains(start), range.contains(end), start < end else {
            throw CryptoError.invalidCertificate(reason: "its validity must run forwards between 1950 and 9999")
        }
        return try key.withKey { pkey in
            guard let certificate = X509_new() else { throw CryptoError.openSSL("X509_new") }
            defer { X509_free(certificate) }
            var serial = try SecureRandom.bytes(count: 16)
            serial[0] &= 0x7F  // positive
            serial[0] |= 0x40  // and 16 bytes long
            guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else { throw CryptoError.openSSL("BN_bin2bn") }
            defer { BN_free(number) }
            guard X509_set_version(certificate, 2) == 1,  // v3
                  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil,
                  ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(start)) != nil,
                  ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(end)) != nil,
                  X509_set_pubkey(certificate, pkey) == 1,
                  let name = X509_get_subject_name(certificate),
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
                  X509_set_issuer_name(certificate, name) == 1,
                  X509_sign(certificate, pkey, EVP_sha256()) > 0
            else { throw CryptoError.openSSL("X509 (self-signed certificate)") }
            var out: UnsafeMutablePointer<UInt8>?
            let length = i2d_X509(certificate, &out)
            guard length > 0, let out else { throw CryptoError.openSSL("i2d_X509") }
            defer { CRYPTO_free(out, #fileID, #line) }
            return try X509Certificate(der: Array(UnsafeBufferPointer(start: out, count: Int(length))))
        }
    }

    /// The PEM `CERTIFICATE` block: what a person uploads to the portal or `az ad app credential reset --cert`.
    public var pem: String { PEMBlock.encode(der, label: "CERTIFICATE") }

    /// The SHA-1 thumbprint (Graph's `customKeyIdentifier`, and the JWT header `x5t`).
    public func sha1Thumbprint() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        guard der.withUnsafeBufferPointer({ EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha1(), nil) }) == 1, length == 20 else {
            throw CryptoError.openSSL("EVP_Digest(SHA-1)")
        }
        return digest
    }

    /// The SHA-256 thumbprint (the JWT header `x5t#S256`).
    public func sha256Thumbprint() throws -> [UInt8] { try SHA256.hash(der) }

    /// Whether `key` is the private half of this certificate's key.
    public func matches(_ key: RSAPrivateKey) throws -> Bool {
        try key.publicKey() == publicKey
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        let seconds = timegm(&parts)
        // -1 is also one second before 1970, which no certificate here starts or ends at.
        guard seconds != -1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static func name(_ name: OpaquePointer?) throws -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("BIO_new") }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, SECRETS_XN_FLAG_RFC2253_UTF8) >= 0 else { throw CryptoError.openSSL("X509_NAME_print_ex") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard length >= 0 else { throw CryptoError.openSSL("BIO_get_mem_data") }
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
    }
}

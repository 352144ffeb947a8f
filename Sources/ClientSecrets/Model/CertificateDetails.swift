import CryptoPrimitives
import Foundation

/// What the vault records of a certificate it made or imported, beyond the SHA-1 thumbprint
/// Entra ID shows: the SHA-256 thumbprint (the `x5t#S256` of a PS256 client assertion), the
/// subject, and the public certificate itself, so that anyone who can read the vault can print
/// it for an upload. None of it is secret; the private key is the credential's sealed value.
public struct CertificateDetails: Sendable, Hashable, Codable {
    /// The largest certificate recorded, in bytes of DER: a 16,384-bit key's certificate is
    /// about 4 KiB.
    public static let maximumSize = 16_384

    /// The SHA-256 thumbprint, 64 uppercase hex digits.
    public var sha256Thumbprint: String
    /// The subject, as RFC 2253 text.
    public var subject: String
    /// The certificate's DER.
    public var der: [UInt8]

    /// Records `certificate`.
    public init(_ certificate: X509Certificate) throws {
        guard certificate.der.count <= Self.maximumSize else {
            throw VaultError.invalidValue(field: "certificate", reason: "longer than \(Self.maximumSize) bytes")
        }
        sha256Thumbprint = Self.hex(try certificate.sha256Thumbprint())
        subject = certificate.subject
        der = certificate.der
    }

    init(sha256Thumbprint: String, subject: String, der: [UInt8]) {
        self.sha256Thumbprint = sha256Thumbprint
        self.subject = subject
        self.der = der
    }

    /// The certificate, read again from its DER.
    public func certificate() throws -> X509Certificate {
        try X509Certificate(der: der)
    }

    /// Uppercase hex, as Entra ID and most tools print thumbprints.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    private enum CodingKeys: String, CodingKey { case sha256Thumbprint, subject, der }

    /// Decodes the form ``encode(to:)`` writes (the DER as base64), checking the thumbprint.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .der)
        guard text.utf8.count <= Self.maximumSize * 2, let der = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(forKey: .der, in: container, debugDescription: "not base64 DER")
        }
        self.init(
            sha256Thumbprint: try container.decode(String.self, forKey: .sha256Thumbprint),
            subject: try container.decode(String.self, forKey: .subject), der: Array(der))
    }

    /// Encodes the thumbprint, the subject and the DER as base64.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sha256Thumbprint, forKey: .sha256Thumbprint)
        try container.encode(subject, forKey: .subject)
        try container.encode(Data(der).base64EncodedString(), forKey: .der)
    }
}

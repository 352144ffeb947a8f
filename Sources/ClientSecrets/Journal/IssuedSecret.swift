import CryptoPrimitives
import Foundation

/// A secret the issuer just created, with its value.
public struct IssuedSecret: Sendable {
    /// The issuer's key id (a GUID).
    public var keyID: String
    /// The value; it exists nowhere else.
    public var value: SecureBytes
    /// When it starts to work, if the issuer said.
    public var validFrom: Date?
    /// When it stops working, if the issuer said.
    public var expires: Date?
    /// The display name the issuer recorded.
    public var displayName: String?
    /// For an issuer that rolls certificates: the new certificate, whose bundle with its private
    /// key is ``value``.
    public var certificate: X509Certificate?

    /// Creates an issued secret.
    public init(
        keyID: String, value: SecureBytes, validFrom: Date? = nil, expires: Date? = nil, displayName: String? = nil, certificate: X509Certificate? = nil
    ) {
        self.keyID = keyID.lowercased()
        self.value = value
        self.validFrom = validFrom
        self.expires = expires
        self.displayName = displayName
        self.certificate = certificate
    }
}

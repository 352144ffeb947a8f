import Foundation

/// A certificate credential (`keyCredential`) held by the emulator: its metadata and, when one
/// was uploaded (Graph's `key`), the public certificate that client assertions are checked against.
/// Graph never holds the private key.
public struct EmulatedCertificate: Sendable, Hashable {
    /// The key id (a lowercase GUID).
    public var keyID: String
    /// The display name (Graph shows the certificate's subject, such as `CN=app`).
    public var displayName: String?
    /// The certificate's SHA-1 thumbprint, 20 bytes: Graph's `customKeyIdentifier`.
    public var thumbprint: [UInt8]
    /// When it starts to be valid (`startDateTime`).
    public var start: Date
    /// When it stops being valid (`endDateTime`).
    public var end: Date
    /// `Verify` (a public key) or `Sign` (a private key: half of a SAML token-signing certificate).
    public var usage = "Verify"
    /// The certificate's DER, when a real one was uploaded; `nil` for metadata only.
    public var key: [UInt8]?
    /// The last token request signed with it, if any.
    public var lastSignIn: Date?
}

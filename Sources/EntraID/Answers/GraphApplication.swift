import ClientSecrets
import Foundation

/// The parts of a Graph `application` the issuer reads. Never holds a secret: `secretText` is
/// always null when reading, and `addPassword`'s is taken out by ``SecretTextReader``.
struct GraphApplication: Decodable, Sendable {
    /// The object id, which `addPassword` and `removePassword` take.
    var id: String
    /// The client id.
    var appId: String?
    /// The app's display name.
    var displayName: String?
    /// Its client secrets (metadata only).
    var passwordCredentials: [GraphPasswordCredential]?
    /// Its certificates (metadata only), read when the issuer rotates certificates.
    var keyCredentials: [GraphKeyCredential]?
}

/// A `passwordCredential` without its `secretText`.
struct GraphPasswordCredential: Decodable, Sendable {
    var keyId: String
    var displayName: String?
    var startDateTime: String?
    var endDateTime: String?
    var hint: String?
    /// Set (base64) for the password of a token-signing certificate's private key: the
    /// certificate's thumbprint. A client secret has none.
    var customKeyIdentifier: String?

    /// `endDateTime` as a date.
    var end: Date? { endDateTime.flatMap(RFC3339Timestamp.parse) }
    /// `startDateTime` as a date.
    var start: Date? { startDateTime.flatMap(RFC3339Timestamp.parse) }
}

/// A `GET /applications?$filter=…` answer.
struct GraphApplicationList: Decodable, Sendable {
    var value: [GraphApplication]
}

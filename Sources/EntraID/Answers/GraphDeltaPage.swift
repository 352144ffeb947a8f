import ClientSecrets
import Foundation

/// One page of `GET /applications/delta` or `GET /servicePrincipals/delta`: items, and either the next page's link or the link of
/// the next round (Graph's "delta query overview": never both).
struct GraphDeltaPage: Decodable, Sendable {
    var value: [GraphDeltaItem]
    var nextLink: String?
    var deltaLink: String?

    enum CodingKeys: String, CodingKey {
        case value, nextLink = "@odata.nextLink", deltaLink = "@odata.deltaLink"
    }
}

/// An application or service principal in a delta page: in full when new, with "at least the changed properties" when
/// updated (a missing list means unchanged, not empty), or only its `id` and `@removed`.
struct GraphDeltaItem: Decodable, Sendable {
    var id: String
    var appId: String?
    var displayName: String?
    var passwordCredentials: [GraphPasswordCredential]?
    var keyCredentials: [GraphKeyCredential]?
    /// A service principal's type: `Application`, `ManagedIdentity`, `Legacy` or `SocialIdp`.
    var servicePrincipalType: String?
    var removed: Removed?

    /// Why it left the collection: `changed` (deleted items, restorable) or `deleted`.
    struct Removed: Decodable, Sendable {
        var reason: String?
    }

    enum CodingKeys: String, CodingKey {
        case id, appId, displayName, passwordCredentials, keyCredentials, servicePrincipalType, removed = "@removed"
    }
}

/// A `keyCredential` (certificate) as Graph lists it; its `key` is never read.
struct GraphKeyCredential: Decodable, Sendable {
    var keyId: String
    var displayName: String?
    var startDateTime: String?
    var endDateTime: String?
    /// The certificate's SHA-1 thumbprint, base64 (Edm.Binary).
    var customKeyIdentifier: String?
    /// `Verify` (a public key) or `Sign` (a private key: a service principal's SAML token-signing
    /// certificate is listed as both, sharing `customKeyIdentifier`).
    var usage: String?

    /// `endDateTime` as a date.
    var end: Date? { endDateTime.flatMap(RFC3339Timestamp.parse) }
    /// `startDateTime` as a date.
    var start: Date? { startDateTime.flatMap(RFC3339Timestamp.parse) }
}

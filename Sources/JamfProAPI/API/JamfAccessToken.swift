import CryptoPrimitives
import Foundation
import JamfPro

/// A bearer token from `POST /api/oauth/token`.
///
/// Jamf Pro API-client tokens cannot be kept alive: when one runs out, request a new one.
public struct JamfAccessToken: Sendable {
    /// The token, kept in wiped storage; it is as good as the client secret until it expires.
    public var value: SecureBytes
    /// When Jamf Pro stops accepting it (from `expires_in`, counted from the request).
    public var expiresAt: Date
    /// The scope Jamf Pro granted (the client's API roles), if it said.
    public var scope: String?

    /// Creates a token.
    public init(value: SecureBytes, expiresAt: Date, scope: String?) {
        self.value = value
        self.expiresAt = expiresAt
        self.scope = scope
    }

    /// The `Authorization` header value.
    var authorization: String {
        value.withUnsafeBytes { "Bearer " + String(decoding: $0, as: UTF8.self) }
    }
}

import Foundation
import HTTPClient

/// What the token endpoint's `200` answer to a client-credentials request is believed to say.
///
/// The answer comes from whatever server the endpoint variables name, so nothing in it is taken
/// on trust: the access token must be a well-formed ``HTTPClient/BearerToken`` (it becomes an
/// `Authorization` header), and `expires_in` is clamped before any date arithmetic sees it.
struct TokenAnswer: Sendable, Equatable {
    /// The bearer token, as sent in `Authorization: Bearer …`.
    var accessToken: String
    /// Seconds the token is valid for, within ``lifetimeRange``.
    var expiresIn: Double

    /// The lifetimes believed, in seconds (Entra ID issues tokens for 60 to 90 minutes).
    static let lifetimeRange: ClosedRange<Double> = 0...86_400

    /// The answer in `body`, or `nil` when it holds no usable access token.
    static func parse(_ body: Data) -> TokenAnswer? {
        struct Wire: Decodable {
            var access_token: String
            // A Double: `1e308` or `99999999999999999999` decode, and are clamped below.
            var expires_in: Double?
        }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: body), BearerToken.isWellFormed(wire.access_token.utf8) else { return nil }
        return TokenAnswer(
            accessToken: wire.access_token,
            expiresIn: ServerSeconds.clamp(wire.expires_in, to: lifetimeRange, fallback: 3599))
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation

/// The proof that Graph's `addKey` and `removeKey` ask of an application rolling its own
/// certificates: a JWT signed with the private key of one of the application's valid
/// certificates (Microsoft Graph, "Generate proof of possession tokens for rolling keys").
///
/// Claims: `aud` `00000002-0000-0000-c000-000000000000`, `iss` the application's *object* id
/// (not its client id), `nbf` a minute ago and `exp` ten minutes after `nbf`. The header is the page's sample's:
/// RS256 with the certificate's SHA-1 thumbprint as `x5t`.
enum ProofOfPossession {
    /// The audience the page requires.
    static let audience = "00000002-0000-0000-c000-000000000000"
    /// The lifetime the page recommends, and the longest it allows.
    static let lifetime: TimeInterval = 600

    struct Claims: Codable, Equatable {
        var aud: String
        var exp: Int
        var iss: String
        var nbf: Int
    }

    /// A proof for the application `objectID`, signed with `signing`, valid from `now`.
    static func make(objectID: String, signing: SigningCertificate, now: Date = Date()) throws -> String {
        // A minute back, so that a Graph whose clock runs slightly behind still takes it; `exp`
        // stays ten minutes after `nbf`, as the page asks.
        let notBefore = Int(now.timeIntervalSince1970.rounded(.down)) - 60
        let header = ["alg": "RS256", "typ": "JWT", "x5t": ClientAssertion.base64URL(try signing.certificate.sha1Thumbprint())]
        let claims = Claims(aud: audience, exp: notBefore + Int(lifetime), iss: objectID.lowercased(), nbf: notBefore)
        return try ClientAssertion.signed(header: header, claims: claims, key: signing.privateKey, algorithm: .rs256)
    }
}

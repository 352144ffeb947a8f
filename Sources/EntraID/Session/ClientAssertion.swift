import CryptoPrimitives
import Foundation

/// A client assertion: the JWT an app signs with its certificate's private key to sign in
/// instead of sending a client secret (Microsoft identity platform, "certificate credentials";
/// RFC 7523). Sent as `client_assertion` with ``type`` as `client_assertion_type`.
///
/// PS256 carries the certificate's SHA-256 thumbprint as `x5t#S256`, as Microsoft's page asks
/// today; RS256, the older form it still documents, carries the SHA-1 thumbprint as `x5t`.
public enum ClientAssertion {
    /// `client_assertion_type`.
    public static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// How long an assertion is good for at most: the page asks for 5 to 10 minutes after `nbf`.
    public static let maximumLifetime: TimeInterval = 600

    /// A signed assertion for `clientID`, for the token endpoint `audience`, valid from `now`
    /// for `lifetime` seconds (at most ``maximumLifetime``), with a fresh `jti`.
    public static func make(
        clientID: String, audience: URL, certificate: X509Certificate, key: RSAPrivateKey, algorithm: RSASignatureAlgorithm = .ps256,
        now: Date = Date(), lifetime: TimeInterval = 300, jwtID: String = UUID().uuidString.lowercased()
    ) throws -> String {
        guard try certificate.matches(key) else { throw CryptoError.invalidKey(reason: "the private key is not the certificate's") }
        guard now.timeIntervalSince1970.isFinite, lifetime.isFinite else { throw CryptoError.invalidCertificate(reason: "an assertion needs a finite time and lifetime") }
        let issued = Int(now.timeIntervalSince1970.rounded(.down))
        let header: [String: String] = switch algorithm {
        case .ps256: ["alg": "PS256", "typ": "JWT", "x5t#S256": base64URL(try certificate.sha256Thumbprint())]
        case .rs256: ["alg": "RS256", "typ": "JWT", "x5t": base64URL(try certificate.sha1Thumbprint())]
        }
        let claims = Claims(
            aud: audience.absoluteString, exp: issued + Int(min(max(lifetime, 1), maximumLifetime)), iat: issued, iss: clientID, jti: jwtID,
            nbf: issued, sub: clientID)
        return try signed(header: header, claims: claims, key: key, algorithm: algorithm)
    }

    /// A compact JWS (RFC 7515 §7.1) of `claims` under `header`, signed with `key`.
    static func signed(header: [String: String], claims: some Encodable, key: RSAPrivateKey, algorithm: RSASignatureAlgorithm) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = base64URL(Array(try encoder.encode(header))) + "." + base64URL(Array(try encoder.encode(claims)))
        let signature = try key.signature(for: Array(signingInput.utf8), algorithm: algorithm)
        return signingInput + "." + base64URL(signature)
    }

    /// The claims of an assertion (RFC 7519 §4.1), as Microsoft's page lists them.
    struct Claims: Codable, Equatable {
        var aud: String
        var exp: Int
        var iat: Int
        var iss: String
        var jti: String
        var nbf: Int
        var sub: String
    }

    /// Base64url without padding (RFC 7515 §2).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

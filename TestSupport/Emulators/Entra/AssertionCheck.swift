import CryptoPrimitives
import Foundation

/// How the emulated token endpoint judges a client assertion (RFC 7523, Microsoft identity
/// platform "certificate credentials"): the JWT's shape, its `alg` and thumbprint header, the
/// signature against the public key of the uploaded certificate the thumbprint names, `iss` and
/// `sub` against the client id, `aud` against this endpoint, `nbf`/`exp` and `jti` replay.
///
/// The AADSTS codes are those Entra ID gives: 50027 (a malformed JWT), 700021 (the identifier is
/// not the client id), 700023 (the audience), 700024 (outside its time range), 700027 (the key
/// was not found or the signature does not verify; also an expired key). Entra ID documents no
/// code of its own for a replayed `jti`; the emulator answers it as 700027.
struct AssertionCheck {
    /// A refusal, in the token endpoint's error shape.
    struct Refusal: Error {
        var status: Int
        var error: String
        var aadsts: Int
        var description: String
    }

    /// The longest lifetime accepted: the page asks for `exp` 5 to 10 minutes after `nbf`.
    static let maximumLifetime: TimeInterval = 600
    /// How far the clocks of the client and the endpoint may differ.
    static let clockSkew: TimeInterval = 300

    let clientID: String
    /// This endpoint's own URL for the tenant: the only audience accepted.
    let audiences: Set<String>
    let now: Date

    struct Header: Decodable {
        var alg: String
        var x5t: String?
        var x5tS256: String?
        enum CodingKeys: String, CodingKey { case alg, x5t, x5tS256 = "x5t#S256" }
    }

    struct Claims: Decodable {
        var aud: String?
        var iss: String?
        var sub: String?
        var jti: String?
        var nbf: Double?
        var exp: Double?
    }

    /// The certificate the assertion was signed with, and its `jti`; throws a ``Refusal``.
    func check(_ assertion: String, certificates: [EmulatedCertificate]) throws -> (keyID: String, jti: String) {
        guard let (header, claims, signingInput, signature) = Self.parse(assertion) else {
            throw Refusal(status: 400, error: "invalid_request", aadsts: 50027, description: "JWT token is invalid or malformed.")
        }
        let algorithm: RSASignatureAlgorithm
        let thumbprint: String
        let sha256: Bool
        switch (header.alg, header.x5tS256, header.x5t) {
        case ("PS256", let value?, _): (algorithm, thumbprint, sha256) = (.ps256, value, true)
        case ("RS256", _, let value?): (algorithm, thumbprint, sha256) = (.rs256, value, false)
        default:
            throw Refusal(status: 400, error: "invalid_request", aadsts: 50027,
                          description: "JWT token is invalid or malformed: alg '\(header.alg)' without its thumbprint header (PS256 with x5t#S256, RS256 with x5t).")
        }
        let candidates = certificates.filter { certificate in
            guard certificate.usage == "Verify", let der = certificate.key, let parsed = try? X509Certificate(der: der) else { return false }
            let digest = sha256 ? try? parsed.sha256Thumbprint() : try? parsed.sha1Thumbprint()
            return digest.map { Self.encode($0) } == thumbprint
        }
        guard let certificate = candidates.first, let der = certificate.key, let parsed = try? X509Certificate(der: der) else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700027,
                          description: "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '\(thumbprint)']")
        }
        guard parsed.publicKey.isValidSignature(signature, for: signingInput, algorithm: algorithm) else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700027, description: "Client assertion failed signature validation.")
        }
        guard now >= certificate.start, now < certificate.end else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700027,
                          description: "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '\(thumbprint)']")
        }
        guard claims.iss?.lowercased() == clientID, claims.sub?.lowercased() == clientID else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700021, description: "Client assertion application identifier doesn't match 'client_id' parameter.")
        }
        guard let audience = claims.aud, audiences.contains(audience) else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700023, description: "Client assertion audience claim does not match Realm issuer.")
        }
        let time = now.timeIntervalSince1970
        guard let notBefore = claims.nbf, let expiry = claims.exp, notBefore - Self.clockSkew <= time, time < expiry + Self.clockSkew,
              expiry > notBefore, expiry - notBefore <= Self.maximumLifetime
        else {
            throw Refusal(status: 401, error: "invalid_client", aadsts: 700024,
                          description: "Client assertion is not within its valid time range. Current time: \(EmulatorJSON.format(now)), assertion valid from \(claims.nbf.map { EmulatorJSON.format(Date(timeIntervalSince1970: $0)) } ?? "?"), expiry time of assertion \(claims.exp.map { EmulatorJSON.format(Date(timeIntervalSince1970: $0)) } ?? "?").")
        }
        guard let jti = claims.jti, !jti.isEmpty else {
            throw Refusal(status: 400, error: "invalid_request", aadsts: 50027, description: "JWT token is invalid or malformed: it has no jti.")
        }
        return (certificate.keyID, jti)
    }

    /// A compact JWS's header, claims, signing input and signature; `nil` when it is not one.
    static func parse(_ jwt: String) -> (Header, Claims, [UInt8], [UInt8])? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = base64URL(parts[0]), let claimBytes = base64URL(parts[1]), let signature = base64URL(parts[2]),
              let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
              let claims = try? JSONDecoder().decode(Claims.self, from: Data(claimBytes))
        else { return nil }
        return (header, claims, Array("\(parts[0]).\(parts[1])".utf8), signature)
    }

    static func base64URL(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension AssertionCheck {
    /// Why `proof` is not a valid proof of possession for the application `objectID` (Graph,
    /// "Generate proof of possession tokens for rolling keys"), or `nil`: signed with the private
    /// key of one of its valid certificates (named by `x5t` or `x5t#S256`), `aud`
    /// `00000002-0000-0000-c000-000000000000`, `iss` its object id, `nbf`/`exp` around now and
    /// at most 10 minutes apart.
    static func proofProblem(_ proof: String, objectID: String, certificates: [EmulatedCertificate], now: Date) -> String? {
        guard let (header, claims, signingInput, signature) = parse(proof) else { return "the proof is not a JWT" }
        let valid = certificates.filter { $0.usage == "Verify" && $0.key != nil && now >= $0.start && now < $0.end }
        let match: (EmulatedCertificate, X509Certificate, RSASignatureAlgorithm)? = valid.lazy.compactMap { certificate in
            guard let der = certificate.key, let parsed = try? X509Certificate(der: der) else { return nil }
            switch (header.alg, header.x5tS256, header.x5t) {
            case ("PS256", let value?, _) where (try? parsed.sha256Thumbprint()).map(encode) == value: return (certificate, parsed, .ps256)
            case ("RS256", _, let value?) where (try? parsed.sha1Thumbprint()).map(encode) == value: return (certificate, parsed, .rs256)
            default: return nil
            }
        }.first
        guard let (_, certificate, algorithm) = match else { return "the proof is not signed by a valid certificate of the application" }
        guard certificate.publicKey.isValidSignature(signature, for: signingInput, algorithm: algorithm) else {
            return "the proof's signature does not verify"
        }
        guard claims.aud == "00000002-0000-0000-c000-000000000000" else { return "the proof's audience is not 00000002-0000-0000-c000-000000000000" }
        guard claims.iss?.lowercased() == objectID.lowercased() else { return "the proof's issuer is not the application's object id" }
        let time = now.timeIntervalSince1970
        guard let notBefore = claims.nbf, let expiry = claims.exp, notBefore - clockSkew <= time, time < expiry,
              expiry > notBefore, expiry - notBefore <= maximumLifetime
        else { return "the proof is not within its valid time range (at most 10 minutes)" }
        return nil
    }
}

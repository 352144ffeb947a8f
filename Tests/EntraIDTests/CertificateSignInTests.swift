import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Rotation
import Testing
@testable import EntraID

/// A rotator that signs in with a certificate: client assertions at the emulated token endpoint,
/// which checks each one for real (signature, thumbprint, audience, time range, replay).
@Suite("Certificate sign-in against the emulator")
struct CertificateSignInTests {
    /// A key pair and its self-signed certificate, valid for a year from yesterday.
    static func certificate(bits: Int = RSAPrivateKey.minimumBits) throws -> SigningCertificate {
        let key = try RSAPrivateKey.generate(bits: bits)
        let now = Date()
        let certificate = try X509Certificate.selfSigned(
            key: key, commonName: "secrets-rotator", notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(365 * 86_400))
        return SigningCertificate(keyID: UUID().uuidString.lowercased(), certificate: certificate, privateKey: key)
    }

    /// A rotator app in the emulator that holds no secret, only the uploaded `signing` certificate.
    static func certificateRotator(_ fixture: EntraFixture, uploading signing: SigningCertificate?) async throws -> String {
        let rotatorID = UUID().uuidString.lowercased()
        await fixture.emulator.registerApplication(appID: rotatorID, displayName: "cert-rotator", roles: [EntraFixture.ownedBy])
        await fixture.emulator.registerApplication(appID: fixture.appID, displayName: "jamf-intune", owners: [fixture.rotatorID, rotatorID])
        if let signing { _ = try #require(await fixture.emulator.uploadCertificate(appID: rotatorID, der: signing.certificate.der)) }
        return rotatorID
    }

    /// Posts a token request carrying `assertion` for `clientID`; the status and the AADSTS code.
    static func post(_ assertion: String, clientID: String, fixture: EntraFixture) async throws -> (Int, String?) {
        var body = Data()
        for (name, value) in [
            ("client_id", clientID), ("scope", fixture.endpoints.scope), ("grant_type", "client_credentials"),
            ("client_assertion_type", ClientAssertion.type), ("client_assertion", assertion),
        ] {
            if !body.isEmpty { body.append(UInt8(ascii: "&")) }
            body.append(contentsOf: name.utf8)
            body.append(UInt8(ascii: "="))
            ClientCredentials.formEncode(value.utf8, into: &body)
        }
        var request = URLRequest(url: fixture.endpoints.tokenURL(tenant: EntraFixture.tenant))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let exchange = try await fixture.session.send(request, operation: "token")
        return (exchange.response.status, ServiceError(status: exchange.response.status, body: exchange.response.body).aadstsCode)
    }

    @Test("a rotator holding only a certificate adds and removes the app's secret through client assertions")
    func rotatorWithCertificate() async throws {
        try await EntraFixture.with { fixture in
            let signing = try Self.certificate()
            let rotatorID = try await Self.certificateRotator(fixture, uploading: signing)
            let issuer = EntraIDIssuer(
                app: fixture.app, rotatorClientID: rotatorID, rotatorCredential: .certificate(signing), endpoints: fixture.endpoints, session: fixture.session)
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:cert-1", expires: Date().addingTimeInterval(86_400)))
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).contains { $0.keyID == issued.keyID })
            try await issuer.removeSecret(keyID: issued.keyID)
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).isEmpty)
            // The token came from the certificate: the emulator recorded its sign-in.
            let uploaded = try #require(await fixture.emulator.certificates(ofApp: rotatorID).first)
            #expect(uploaded.lastSignIn != nil)
            #expect(await fixture.requests(.token).map(\.status) == [200])
        }
    }

    @Test("a certificate that was never uploaded is refused with AADSTS700027, and the failure says so")
    func notUploaded() async throws {
        try await EntraFixture.with { fixture in
            let rotatorID = try await Self.certificateRotator(fixture, uploading: try Self.certificate())
            let other = try Self.certificate()
            let issuer = EntraIDIssuer(
                app: fixture.app, rotatorClientID: rotatorID, rotatorCredential: .certificate(other), endpoints: fixture.endpoints, session: fixture.session)
            let failure = try #require(await rotationFailure { _ = try await issuer.secrets(markedWith: "secrets:") })
            #expect(failure.reason.contains("AADSTS700027"))
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).isEmpty)
        }
    }

    @Test("a certificate whose credential ended at Entra ID is refused as expired")
    func expiredAtIssuer() async throws {
        try await EntraFixture.with { fixture in
            let signing = try Self.certificate()
            let rotatorID = try await Self.certificateRotator(fixture, uploading: signing)
            let uploaded = try #require(await fixture.emulator.certificates(ofApp: rotatorID).first)
            #expect(await fixture.emulator.setCredentialEnd(appID: rotatorID, keyID: uploaded.keyID, end: Date().addingTimeInterval(-60)))
            let issuer = EntraIDIssuer(
                app: fixture.app, rotatorClientID: rotatorID, rotatorCredential: .certificate(signing), endpoints: fixture.endpoints, session: fixture.session)
            let failure = try #require(await rotationFailure { _ = try await issuer.secrets(markedWith: "secrets:") })
            #expect(failure.reason.contains("AADSTS700027"))
            #expect(failure.reason.contains("expired"))
        }
    }

    @Test("the emulator checks each assertion: replay, audience, time range, signature, identifier; RS256 with x5t is accepted")
    func assertionChecks() async throws {
        try await EntraFixture.with { fixture in
            let signing = try Self.certificate()
            let rotatorID = try await Self.certificateRotator(fixture, uploading: signing)
            let audience = fixture.endpoints.tokenURL(tenant: EntraFixture.tenant)
            func assertion(
                clientID: String? = nil, audience: URL = audience, algorithm: RSASignatureAlgorithm = .ps256, now: Date = Date()
            ) throws -> String {
                try ClientAssertion.make(
                    clientID: clientID ?? rotatorID, audience: audience, certificate: signing.certificate, key: signing.privateKey,
                    algorithm: algorithm, now: now)
            }
            let good = try assertion()
            #expect(try await Self.post(good, clientID: rotatorID, fixture: fixture).0 == 200)
            #expect(try await Self.post(good, clientID: rotatorID, fixture: fixture) == (401, "AADSTS700027"))
            #expect(try await Self.post(try assertion(algorithm: .rs256), clientID: rotatorID, fixture: fixture).0 == 200)
            let elsewhere = try #require(URL(string: "https://login.microsoftonline.com/\(EntraFixture.tenant)/oauth2/v2.0/token"))
            #expect(try await Self.post(try assertion(audience: elsewhere), clientID: rotatorID, fixture: fixture) == (401, "AADSTS700023"))
            #expect(try await Self.post(try assertion(now: Date().addingTimeInterval(-3_600)), clientID: rotatorID, fixture: fixture) == (401, "AADSTS700024"))
            #expect(try await Self.post(try assertion(now: Date().addingTimeInterval(3_600)), clientID: rotatorID, fixture: fixture) == (401, "AADSTS700024"))
            #expect(try await Self.post(try assertion(clientID: fixture.appID), clientID: rotatorID, fixture: fixture) == (401, "AADSTS700021"))
            // One bit of the signature flipped.
            var parts = try assertion().split(separator: ".").map(String.init)
            var signature = try #require(AssertionBytes.decode(parts[2]))
            signature[signature.count / 2] ^= 0x01
            parts[2] = AssertionBytes.encode(signature)
            #expect(try await Self.post(parts.joined(separator: "."), clientID: rotatorID, fixture: fixture) == (401, "AADSTS700027"))
            #expect(try await Self.post("not.a.jwt", clientID: rotatorID, fixture: fixture) == (400, "AADSTS50027"))
        }
    }
}

/// Base64url, as JWTs write it (RFC 7515 §2).
enum AssertionBytes {
    static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        ClientAssertion.base64URL(bytes)
    }
}

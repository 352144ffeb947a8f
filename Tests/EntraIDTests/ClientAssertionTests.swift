import CryptoPrimitives
import Foundation
import ProcessHarness
import Testing
@testable import EntraID

/// Client assertions (issue 16): the JWT Microsoft's "certificate credentials" page describes,
/// checked by Python's `cryptography`, an implementation independent of this one.
@Suite("Client assertions")
struct ClientAssertionTests {
    static let key: RSAPrivateKey = try! RSAPrivateKey.generate(bits: 2048)
    static let certificate: X509Certificate = try! X509Certificate.selfSigned(
        key: key, commonName: "rotator", notBefore: Date(timeIntervalSince1970: 1_790_000_000), notAfter: Date(timeIntervalSince1970: 1_830_000_000))

    /// Checks `assertion` in Python and returns its header and claims as Python read them.
    static func verifyInPython(_ assertion: String, algorithm: RSASignatureAlgorithm) throws -> String {
        let python = try #require(
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
                .first { FileManager.default.isExecutableFile(atPath: $0) }, "python3 is not installed")
        let result = try ProcessRunner.run(python, arguments: ["-c", """
            import base64, json, sys
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            token, pem, alg = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
            def b64(part):
                return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            head, body, signature = token.split(".")
            cert = x509.load_pem_x509_certificate(pem)
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if alg == "PS256" else padding.PKCS1v15()
            cert.public_key().verify(b64(signature), (head + "." + body).encode(), pad, hashes.SHA256())
            header, claims = json.loads(b64(head)), json.loads(b64(body))
            assert header["alg"] == alg and header["typ"] == "JWT"
            if alg == "PS256":
                assert b64(header["x5t#S256"]) == cert.fingerprint(hashes.SHA256()), "x5t#S256"
            else:
                assert b64(header["x5t"]) == cert.fingerprint(hashes.SHA1()), "x5t"
            assert claims["iss"] == claims["sub"]
            assert claims["nbf"] == claims["iat"] and 0 < claims["exp"] - claims["nbf"] <= 600
            print(json.dumps({"header": header, "claims": claims}, sort_keys=True))
            """, assertion, certificate.pem, algorithm.rawValue], timeout: 60)
        try #require(result.succeeded, "\(result)")
        return result.output
    }

    @Test("a PS256 assertion and an RS256 one verify against the certificate, with the thumbprint header and claims the page asks for")
    func verifies() throws {
        let audience = try EntraEndpoints(cloud: .global, environment: [:]).tokenURL(tenant: "contoso.onmicrosoft.com")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for algorithm in RSASignatureAlgorithm.allCases {
            let assertion = try ClientAssertion.make(
                clientID: "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", audience: audience, certificate: Self.certificate, key: Self.key,
                algorithm: algorithm, now: now, lifetime: 3600, jwtID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
            let read = try Self.verifyInPython(assertion, algorithm: algorithm)
            #expect(read.contains("\"aud\": \"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token\""), "\(read)")
            #expect(read.contains("\"iss\": \"6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d\"") && read.contains("\"jti\": \"1b4e28ba-2fa1-11d2-883f-0016d3cca427\""))
            #expect(read.contains("\"nbf\": 1800000000") && read.contains("\"exp\": 1800000600"), "a lifetime past 10 minutes is cut to 10: \(read)")
        }
    }

    @Test("each assertion has its own jti, and one signed by another key does not verify")
    func unique() throws {
        let audience = try EntraEndpoints(cloud: .china, environment: [:]).tokenURL(tenant: "contoso.partner.onmschina.cn")
        let first = try ClientAssertion.make(clientID: "app", audience: audience, certificate: Self.certificate, key: Self.key)
        let second = try ClientAssertion.make(clientID: "app", audience: audience, certificate: Self.certificate, key: Self.key)
        #expect(first.split(separator: ".")[1] != second.split(separator: ".")[1])
        let other = try RSAPrivateKey.generate(bits: 2048)
        #expect(throws: CryptoError.invalidKey(reason: "the private key is not the certificate's")) {
            try ClientAssertion.make(clientID: "app", audience: audience, certificate: Self.certificate, key: other)
        }
        // Signed by another key all the same: the certificate's key does not verify it.
        let parts = first.split(separator: ".").map(String.init)
        let forged = try other.signature(for: Array((parts[0] + "." + parts[1]).utf8), algorithm: .ps256)
        #expect(!Self.certificate.publicKey.isValidSignature(forged, for: Array((parts[0] + "." + parts[1]).utf8), algorithm: .ps256))
    }
}

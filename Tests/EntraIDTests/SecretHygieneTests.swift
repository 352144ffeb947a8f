import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import HTTPClient
import Rotation
import Testing
@testable import EntraID

@Suite("secrets stay out of URLs and messages")
struct SecretHygieneTests {
    @Test("no secret value appears in any request path or query, nor in any error")
    func noSecretInPathsOrErrors() async throws {
        try await EntraFixture.with(configuration: .init(replicationDelay: .milliseconds(300), maxLifetime: 30 * 86_400)) { fixture in
            let issuer = fixture.issuer(verification: VerificationPolicy(window: .seconds(1), initialDelay: .milliseconds(100)))
            var values = [fixture.rotatorSecret]
            var messages: [String] = []

            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-h", expires: Date().addingTimeInterval(86_400)))
            values.append(issued.value.text)
            messages.append(try await issuer.verify(keyID: issued.keyID, value: issued.value))
            try await issuer.removeSecret(keyID: issued.keyID)
            if let failure = await rotationFailure({ _ = try await issuer.verify(keyID: issued.keyID, value: issued.value) }) {
                messages.append(failure.description)
            }
            if let failure = await rotationFailure({
                _ = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-long", expires: Date().addingTimeInterval(90 * 86_400)))
            }) {
                messages.append(failure.description)
            }
            let wrong = "wrg8Q~" + String(repeating: "z", count: 34)
            values.append(wrong)
            if let failure = await rotationFailure({ _ = try await fixture.issuer(rotatorSecret: wrong).secrets(markedWith: "x") }) {
                messages.append(failure.description)
            }
            #expect(messages.count == 4)

            let requests = await fixture.emulator.requests()
            #expect(requests.count >= 8)
            for value in values {
                for request in requests {
                    #expect(!request.path.contains(value))
                    #expect(!request.query.contains(value))
                }
                for message in messages {
                    #expect(!message.contains(value))
                }
            }
            // Neither do the pieces of a secret that Graph shows (the hint is 3 characters; that is all).
            for message in messages { #expect(!message.contains(String(issued.value.text.prefix(8)))) }
        }
    }

    @Test("secretText is read into SecureBytes, escapes included, a key inside another string ignored")
    func secretTextReader() throws {
        let plain = Data(#"{"keyId":"k","secretText":"abc8Q~x.y_z-w","hint":"abc"}"#.utf8)
        #expect(SecretTextReader.secretText(in: plain)?.text == "abc8Q~x.y_z-w")
        let escaped = Data(#"{"displayName":"has \"secretText\": inside","secretText" : "a\"b\\c\/d\u00e9\ud83d\ude00"}"#.utf8)
        #expect(SecretTextReader.secretText(in: escaped)?.text == "a\"b\\c/dé😀")
        #expect(SecretTextReader.secretText(in: Data(#"{"secretText":null}"#.utf8)) == nil)
        #expect(SecretTextReader.secretText(in: Data(#"{"keyId":"k"}"#.utf8)) == nil)
        #expect(SecretTextReader.secretText(in: Data(#"{"secretText":"unterminated"#.utf8)) == nil)
    }

    @Test("the token request body percent-encodes the secret and names the cloud scope")
    func tokenBody() throws {
        let credentials = ClientCredentials(clientID: "c", tenant: "t", secret: SecureBytes(copying: Array("a+b&c=d~e f%".utf8)))
        let audience = try #require(URL(string: "https://login.microsoftonline.us/t/oauth2/v2.0/token"))
        let body = String(decoding: try credentials.tokenRequestBody(scope: "https://graph.microsoft.us/.default", audience: audience), as: UTF8.self)
        #expect(body == "client_id=c&scope=https%3A%2F%2Fgraph.microsoft.us%2F.default&grant_type=client_credentials&client_secret=a%2Bb%26c%3Dd~e%20f%25")
    }

    @Test("Graph's timestamps are read with any fraction and written in whole seconds")
    func dates() throws {
        let seven = try #require(RFC3339Timestamp.parse("2027-05-01T10:11:12.1234567Z"))
        #expect(abs(seven.timeIntervalSince1970 - 1_809_166_272.1234567) < 0.001)
        #expect(RFC3339Timestamp.parse("2027-05-01T10:11:12Z") != nil)
        #expect(RFC3339Timestamp.parse("2027-05-01T12:11:12+02:00") == RFC3339Timestamp.parse("2027-05-01T10:11:12Z"))
        #expect(RFC3339Timestamp.parse("yesterday") == nil)
        #expect(DateParser.format(seven) == "2027-05-01T10:11:12Z")
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func retryAfter() {
        #expect(RetryAfter.parse("3")?.seconds == 3)
        #expect(RetryAfter.parse(nil) == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:13:30 GMT", now: now)?.seconds == 10)
        #expect(RetryPolicy.standard.delay(afterAttempt: 1, retryAfter: .seconds(600)) == .seconds(60))
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(350), jitter: 0)
        #expect((1...4).map { policy.delay(afterAttempt: $0, retryAfter: nil) } == [.milliseconds(100), .milliseconds(200), .milliseconds(350), .milliseconds(350)])
    }
}

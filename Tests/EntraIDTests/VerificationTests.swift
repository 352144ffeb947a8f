import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Rotation
import Testing
@testable import EntraID

@Suite("verify: a token request as the app itself")
struct VerificationTests {
    @Test("a new secret is retried through the replication delay, then works")
    func retriesThroughReplication() async throws {
        try await EntraFixture.with(configuration: .init(replicationDelay: .seconds(2))) { fixture in
            let issuer = fixture.issuer()
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-v", expires: Date().addingTimeInterval(86_400)))
            #expect(await fixture.emulator.accepts(appID: fixture.appID, secret: issued.value.text) == false)

            let clock = ContinuousClock()
            let started = clock.now
            let note = try await issuer.verify(keyID: issued.keyID, value: issued.value)
            let elapsed = clock.now - started
            #expect(elapsed >= .milliseconds(1500))
            #expect(elapsed < .seconds(6))
            #expect(note.hasPrefix("token issued by \(fixture.url.absoluteString)/\(EntraFixture.tenant) after "))

            let tokens = await fixture.requests(.token).filter { $0.clientID == fixture.appID }
            #expect(tokens.count >= 2)
            #expect(tokens.last?.status == 200)
            #expect(tokens.dropLast().allSatisfy { $0.status == 401 })
        }
    }

    @Test("a removed secret fails verification with the AADSTS code once the window is over")
    func removedSecretFails() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer(verification: VerificationPolicy(window: .seconds(1), initialDelay: .milliseconds(200)))
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-gone", expires: Date().addingTimeInterval(86_400)))
            try await issuer.removeSecret(keyID: issued.keyID)

            let clock = ContinuousClock()
            let started = clock.now
            let failure = await rotationFailure { _ = try await issuer.verify(keyID: issued.keyID, value: issued.value) }
            #expect(clock.now - started < .seconds(3))
            #expect(failure?.code == .verificationFailed)
            let text = failure?.description ?? ""
            #expect(text.contains("AADSTS7000215"))
            #expect(text.contains(issued.keyID))
            #expect(!text.contains(issued.value.text))
            #expect(await fixture.requests(.token).filter { $0.clientID == fixture.appID }.count >= 2)
        }
    }

    @Test("an expired secret fails at once: replication cannot explain it")
    func expiredSecretFailsAtOnce() async throws {
        try await EntraFixture.with { fixture in
            let value = "exp8Q~" + String(repeating: "q", count: 34)
            let keyID = await fixture.emulator.addSecret(appID: fixture.appID, value: value, expires: Date().addingTimeInterval(-5))
            let failure = await rotationFailure {
                _ = try await fixture.issuer().verify(keyID: keyID, value: SecureBytes(copying: Array(value.utf8)))
            }
            #expect(failure?.code == .verificationFailed)
            #expect(failure?.description.contains("AADSTS7000222") == true)
            #expect(await fixture.requests(.token).filter { $0.clientID == fixture.appID }.count == 1)
        }
    }

    @Test("verification asks for the app's cloud scope at the app's tenant")
    func usesAppTenantAndCloudScope() async throws {
        try await EntraFixture.with(cloud: .usgovDoD) { fixture in
            #expect(fixture.endpoints.scope == "https://dod-graph.microsoft.us/.default")
            let value = "dod8Q~" + String(repeating: "d", count: 34)
            let keyID = await fixture.emulator.addSecret(appID: fixture.appID, value: value, expires: Date().addingTimeInterval(3600))
            let note = try await fixture.issuer().verify(keyID: keyID, value: SecureBytes(copying: Array(value.utf8)))
            #expect(note.contains("/\(EntraFixture.tenant) after"))
            let token = try #require(await fixture.requests(.token).last)
            #expect(token.path == "/\(EntraFixture.tenant)/oauth2/v2.0/token")
        }
    }
}

import ClientSecrets
import Emulators
import Foundation
import Rotation
import Testing
@testable import EntraID

@Suite("permissions and policy")
struct PermissionAndPolicyTests {
    @Test("a rotator that does not own the app is told to own it and hold Application.ReadWrite.OwnedBy")
    func notOwner() async throws {
        try await EntraFixture.with(owner: false) { fixture in
            let failure = await rotationFailure {
                _ = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-403", expires: Date().addingTimeInterval(86_400)))
            }
            #expect(failure?.code == .permissionDenied)
            let text = failure?.description ?? ""
            #expect(text.contains("Authorization_RequestDenied"))
            #expect(text.contains("owner"))
            #expect(text.contains("Application.ReadWrite.OwnedBy"))
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).isEmpty)
        }
    }

    @Test("a rotator that may only read can list, but addPassword is permissionDenied")
    func readOnlyRotator() async throws {
        try await EntraFixture.with(rotatorRoles: ["Application.Read.All"], owner: false) { fixture in
            let issuer = fixture.issuer()
            let listed = try await issuer.secrets(markedWith: "x")
            #expect(listed.isEmpty)
            let failure = await rotationFailure {
                _ = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-ro", expires: Date().addingTimeInterval(86_400)))
            }
            #expect(failure?.code == .permissionDenied)
            #expect(await fixture.requests(.addPassword).map(\.status) == [403])
        }
    }

    @Test("Application.ReadWrite.All works without ownership")
    func readWriteAll() async throws {
        try await EntraFixture.with(rotatorRoles: ["Application.ReadWrite.All"], owner: false) { fixture in
            let issued = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-all", expires: Date().addingTimeInterval(86_400)))
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).map(\.keyID) == [issued.keyID])
        }
    }

    @Test("a lifetime beyond the app management policy is policyRejected with Graph's message")
    func lifetimePolicy() async throws {
        try await EntraFixture.with(configuration: .init(replicationDelay: .zero, maxLifetime: 30 * 86_400)) { fixture in
            let issuer = fixture.issuer()
            let failure = await rotationFailure {
                _ = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-long", expires: Date().addingTimeInterval(90 * 86_400)))
            }
            #expect(failure?.code == .policyRejected)
            let text = failure?.description ?? ""
            #expect(text.contains("Credential lifetime exceeds the max value allowed as per assigned policy"))
            #expect(text.contains("CredentialInvalidLifetimeAsPerAppPolicy"))
            #expect(text.contains("90 days"))
            // Within the policy it works.
            _ = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-short", expires: Date().addingTimeInterval(29 * 86_400)))
        }
    }
}

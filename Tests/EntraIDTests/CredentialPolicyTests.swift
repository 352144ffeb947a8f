import ClientSecrets
import Emulators
import Foundation
import Rotation
import Testing
@testable import EntraID

/// Graph's refusals of the credential itself, from the emulator over loopback: each is definitive
/// (the engine closes the rotation) and says what it is and what to do.
@Suite("app management policy refusals")
struct CredentialPolicyTests {
    @Test("a policy forbidding passwords is policyRejected, names the policy and says to use certificates or get an exemption")
    func passwordsForbidden() async throws {
        try await EntraFixture.with { fixture in
            await fixture.emulator.forbidPasswords(appID: fixture.appID)
            let failure = await rotationFailure {
                _ = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-nopw", expires: Date().addingTimeInterval(30 * 86_400)))
            }
            #expect(failure?.code == .policyRejected)
            let text = failure?.description ?? ""
            #expect(text.contains("CredentialTypeNotAllowedAsPerAppPolicy"), "\(text)")
            #expect(text.contains("forbids client secrets"), "\(text)")
            #expect(text.contains("certificate credentials"), "\(text)")
            #expect(text.contains("exemption"), "\(text)")
            #expect(!text.contains("lifetime"), "\(text)")
            #expect(await fixture.requests(.addPassword).map(\.status) == [400], "a definitive refusal is not retried")
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).isEmpty)
        }
    }

    @Test("a lifetime policy's refusal says the policy caps the lifetime and to shorten the app's")
    func lifetimeCapped() async throws {
        try await EntraFixture.with(configuration: .init(replicationDelay: .zero, maxLifetime: 30 * 86_400)) { fixture in
            let failure = await rotationFailure {
                _ = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-long", expires: Date().addingTimeInterval(90 * 86_400)))
            }
            #expect(failure?.code == .policyRejected)
            let text = failure?.description ?? ""
            #expect(text.contains("caps the lifetime"), "\(text)")
            #expect(text.contains("90 days"), "\(text)")
            #expect(text.contains("--lifetime"), "\(text)")
            #expect(!text.contains("forbids"), "\(text)")
        }
    }

    @Test("a bare InvalidKeyEndDate is not a policy: it says the end date is not after the start")
    func bareInvalidEndDate() async throws {
        try await EntraFixture.with { fixture in
            await fixture.emulator.answerNextAddPassword(with: HostileAnswer(
                errorStatus: 400, errorCode: "InvalidKeyEndDate", errorMessage: "Key credential end date is invalid."))
            let failure = await rotationFailure {
                _ = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-date", expires: Date().addingTimeInterval(30 * 86_400)))
            }
            #expect(failure?.code == .misconfigured)
            let text = failure?.description ?? ""
            #expect(text.contains("InvalidKeyEndDate"), "\(text)")
            #expect(text.contains("not after its start"), "\(text)")
            #expect(text.contains("not a policy"), "\(text)")
            #expect(!text.contains("policy rejected"), "\(text)")
        }
    }

    @Test("the error codes are told apart from Graph's bodies, details included")
    func classification() {
        func refusal(_ json: String, status: Int = 400) -> ServiceError.CredentialRefusal? {
            ServiceError(status: status, body: Data(json.utf8)).credentialRefusal
        }
        #expect(refusal(#"{"error":{"code":"CredentialTypeNotAllowedAsPerAppPolicy","message":"Credential type not allowed as per assigned policy."}}"#) == .passwordsNotAllowed)
        #expect(refusal(#"{"error":{"code":"Request_BadRequest","details":[{"code":"CredentialTypeNotAllowedAsPerAppPolicy"}]}}"#) == .passwordsNotAllowed)
        #expect(refusal(#"{"error":{"code":"CredentialInvalidLifetimeAsPerAppPolicy","details":[{"code":"InvalidKeyEndDate"}]}}"#) == .lifetimeOverPolicy)
        #expect(refusal(#"{"error":{"code":"InvalidKeyEndDate","message":"Key credential end date is invalid."}}"#) == .invalidEndDate)
        #expect(refusal(#"{"error":{"code":"Request_BadRequest","message":"Something else."}}"#) == nil)
        #expect(refusal(#"{"error":{"code":"CredentialTypeNotAllowedAsPerAppPolicy"}}"#, status: 403) == nil)
    }
}

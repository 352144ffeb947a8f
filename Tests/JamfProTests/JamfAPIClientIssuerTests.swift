import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Rotation
import Testing

@testable import JamfPro
@testable import JamfProAPI

/// Regenerating a Jamf Pro API client's secret: no overlap, the old secret dies at once.
@Suite struct JamfAPIClientIssuerTests {
    static func issuer(url: URL, authenticating: JamfAPIClientCredentials = JamfProClientTests.credentials) throws -> JamfAPIClientIssuer {
        try JamfAPIClientIssuer(
            settings: JamfProIssuerSettings(url: url.absoluteString, integrationID: EmulatorHarness.integrationID),
            clientID: EmulatorHarness.clientID, authenticating: authenticating, configuration: EmulatorHarness.quick)
    }

    static let request = SecretRequest(displayName: "secrets:rotation-7", expires: Sample.now.addingTimeInterval(90 * Sample.day))

    @Test func regeneratingKillsTheOldSecretAndTheNewOneWorks() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let issuer = try Self.issuer(url: url)
            #expect(issuer.keepsPreviousSecret == false)
            let issued = try await issuer.createSecret(Self.request)
            #expect(Validation.isGUID(issued.keyID))
            #expect(issued.expires == Self.request.expires)
            #expect(issued.displayName == Self.request.displayName)
            #expect(Sample.text(issued.value) == (await emulator.apiClientSecret(integrationID: EmulatorHarness.integrationID)))

            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            await #expect(throws: RotationFailure.self) { try await client.token(for: JamfProClientTests.credentials) }
            let message = try await issuer.verify(keyID: issued.keyID, value: issued.value)
            #expect(message.contains(issued.keyID))

            // Each secret gets its own key id: Jamf Pro has none.
            let next = try await Self.issuer(url: url, authenticating: JamfAPIClientCredentials(clientID: EmulatorHarness.clientID, clientSecret: issued.value))
                .createSecret(Self.request)
            #expect(next.keyID != issued.keyID)
            await #expect(throws: RotationFailure.self) { try await issuer.verify(keyID: issued.keyID, value: issued.value) }
        }
    }

    @Test func removingAndListingHaveNothingToDo() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let issuer = try Self.issuer(url: url)
            try await issuer.removeSecret(keyID: Sample.keyID)
            #expect(try await issuer.secrets(markedWith: "rotation-7").isEmpty)
            #expect(await emulator.requests().isEmpty)
        }
    }

    @Test func aRotatorWithoutThePrivilegeIsDenied() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.registerAPIClient(clientID: "11111111-2222-3333-4444-555555555555", secret: "rotator-secret", integrationID: "8", mayRegenerate: false)
            let rotator = JamfAPIClientCredentials(clientID: "11111111-2222-3333-4444-555555555555", clientSecret: SecureBytes(copying: Array("rotator-secret".utf8)))
            let error = await #expect(throws: RotationFailure.self) { try await Self.issuer(url: url, authenticating: rotator).createSecret(Self.request) }
            guard error?.code == .permissionDenied else { Issue.record("got \(String(describing: error))"); return }
            #expect(await emulator.apiClientSecret(integrationID: EmulatorHarness.integrationID) == EmulatorHarness.clientSecret)
        }
    }

    @Test func anotherClientMayRegenerate() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.registerAPIClient(clientID: "11111111-2222-3333-4444-555555555555", secret: "rotator-secret", integrationID: "8")
            let rotator = JamfAPIClientCredentials(clientID: "11111111-2222-3333-4444-555555555555", clientSecret: SecureBytes(copying: Array("rotator-secret".utf8)))
            let issued = try await Self.issuer(url: url, authenticating: rotator).createSecret(Self.request)
            #expect(Sample.text(issued.value) == (await emulator.apiClientSecret(integrationID: EmulatorHarness.integrationID)))
            #expect(await emulator.apiClientSecret(integrationID: "8") == "rotator-secret")
        }
    }

    @Test func aLostAnswerWarnsThatTheOldSecretMayBeDead() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.injectFault(.serverError(status: 502), on: .regenerateClientCredentials, times: 5)
            let error = await #expect(throws: RotationFailure.self) { try await Self.issuer(url: url).createSecret(Self.request) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("kills the old one"))
        }
    }

    @Test func anIntegrationOfAnotherClientIsNeverRegenerated() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.registerAPIClient(clientID: "11111111-2222-3333-4444-555555555555", secret: "other-secret", integrationID: "8")
            // This app's client, but the integration id of another one.
            let issuer = try JamfAPIClientIssuer(
                settings: JamfProIssuerSettings(url: url.absoluteString, integrationID: "8"), clientID: EmulatorHarness.clientID,
                authenticating: JamfProClientTests.credentials, configuration: EmulatorHarness.quick)
            let error = await #expect(throws: RotationFailure.self) { try await issuer.createSecret(Self.request) }
            guard let text = error.flatMap({ $0.code == .misconfigured ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("nothing was regenerated"))
            #expect(await emulator.apiClientSecret(integrationID: "8") == "other-secret")
            #expect(await emulator.requests().allSatisfy { $0.operation != .regenerateClientCredentials })
        }
    }

    @Test func anUnknownIntegrationIsNotFound() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let issuer = try JamfAPIClientIssuer(
                settings: JamfProIssuerSettings(url: url.absoluteString, integrationID: "404"), clientID: EmulatorHarness.clientID,
                authenticating: JamfProClientTests.credentials, configuration: EmulatorHarness.quick)
            let error = await #expect(throws: RotationFailure.self) { try await issuer.createSecret(Self.request) }
            guard error?.code == .notFound else { Issue.record("got \(String(describing: error))"); return }
        }
    }
}

import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Rotation
import Testing
@testable import EntraID

@Suite("Entra ID issuer against the emulator")
struct IssuerTests {
    @Test("addPassword then removePassword: the value, key id, name and expiry round-trip")
    func roundTrip() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            #expect(issuer.keepsPreviousSecret)
            let expires = Date().addingTimeInterval(180 * 86_400)
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-1", expires: expires))

            let held = await fixture.emulator.secrets(ofApp: fixture.appID)
            let secret = try #require(held.first { $0.keyID == issued.keyID })
            #expect(secret.value == issued.value.text)
            #expect(secret.value.count == 40)
            #expect(secret.displayName == "secrets:r-1")
            #expect(issued.displayName == "secrets:r-1")
            #expect(abs(try #require(issued.expires).timeIntervalSince(expires)) < 1)
            #expect(abs(secret.end.timeIntervalSince(expires)) < 1)
            #expect(issued.validFrom != nil)

            try await issuer.removeSecret(keyID: issued.keyID)
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).isEmpty)
        }
    }

    @Test("removing a secret that is already gone succeeds, and so does an unknown key id")
    func removalIsIdempotent() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-2", expires: Date().addingTimeInterval(86_400)))
            try await issuer.removeSecret(keyID: issued.keyID)
            try await issuer.removeSecret(keyID: issued.keyID)
            try await issuer.removeSecret(keyID: UUID().uuidString)
            // Graph was asked each time (no shortcut), and said 400 for the missing ones.
            let removals = await fixture.requests(.removePassword)
            #expect(removals.map(\.status) == [204, 400, 400])
        }
    }

    @Test("secrets(markedWith:) finds the app by app id and returns only the marked secrets")
    func markerLookup() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            await fixture.emulator.addSecret(appID: fixture.appID, value: "old8Q~manual-secret-added-in-the-portal-", displayName: "portal", expires: Date().addingTimeInterval(86_400))
            let first = try await issuer.createSecret(SecretRequest(displayName: "secrets:rot-aaa", expires: Date().addingTimeInterval(86_400)))
            _ = try await issuer.createSecret(SecretRequest(displayName: "secrets:rot-bbb", expires: Date().addingTimeInterval(86_400)))

            let marked = try await issuer.secrets(markedWith: "rot-aaa")
            #expect(marked.map(\.keyID) == [first.keyID])
            #expect(marked.first?.displayName == "secrets:rot-aaa")
            #expect(marked.first?.expires != nil)
            let all = try await issuer.secrets(markedWith: "secrets:")
            #expect(all.count == 2)
            let none = try await issuer.secrets(markedWith: "nothing-like-this")
            #expect(none.isEmpty)

            let reads = await fixture.requests(.getApplication)
            #expect(!reads.isEmpty)
            #expect(reads.allSatisfy { $0.path == "/v1.0/applications(appId='\(fixture.appID)')" && $0.status == 200 })
        }
    }

    @Test("an unknown app id is notFound")
    func unknownApp() async throws {
        try await EntraFixture.with { fixture in
            let stranger = App(label: "stranger", appID: UUID().uuidString.lowercased(), tenant: EntraFixture.tenant, issuer: .entraID)
            let failure = await rotationFailure { _ = try await fixture.issuer(app: stranger).secrets(markedWith: "x") }
            #expect(failure?.code == .notFound)
            #expect(failure?.description.contains("Request_ResourceNotFound") == true)
        }
    }

    @Test("one token serves every call and every issuer of the session")
    func tokenIsCachedAndShared() async throws {
        try await EntraFixture.with { fixture in
            // Twenty more apps owned by the rotator, rotated concurrently through one session.
            var apps: [App] = []
            for index in 0..<20 {
                let appID = UUID().uuidString.lowercased()
                await fixture.emulator.registerApplication(appID: appID, displayName: "app-\(index)", owners: [fixture.rotatorID])
                apps.append(App(label: "app-\(index)", appID: appID, tenant: EntraFixture.tenant, issuer: .entraID))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for app in apps {
                    group.addTask {
                        let issuer = fixture.issuer(app: app)
                        let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:bulk", expires: Date().addingTimeInterval(86_400)))
                        _ = try await issuer.secrets(markedWith: "bulk")
                        try await issuer.removeSecret(keyID: issued.keyID)
                    }
                }
                try await group.waitForAll()
            }
            let tokens = await fixture.requests(.token)
            #expect(tokens.count == 1)
            #expect(await fixture.requests(.addPassword).count == 20)
        }
    }

    @Test("a wrong rotator secret is refused even while the right one's token is cached")
    func cachedTokenIsNotBorrowed() async throws {
        try await EntraFixture.with { fixture in
            _ = try await fixture.issuer().secrets(markedWith: "x")
            let wrong = "bad8Q~" + String(repeating: "v", count: 34)
            let failure = await rotationFailure { _ = try await fixture.issuer(rotatorSecret: wrong).secrets(markedWith: "x") }
            #expect(failure?.code == .authenticationFailed)
            #expect(await fixture.requests(.token).map(\.status) == [200, 401])
        }
    }

    @Test("a token Graph no longer accepts is replaced once, and the call succeeds")
    func revokedTokenIsRenewed() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "x")
            await fixture.emulator.revokeTokens()
            _ = try await issuer.secrets(markedWith: "x")
            #expect(await fixture.requests(.token).count == 2)
            #expect(await fixture.requests(.getApplication).map(\.status) == [200, 401, 200])
        }
    }

    @Test("the rotator's refused secret is authenticationFailed with the AADSTS code")
    func rotatorRefused() async throws {
        try await EntraFixture.with { fixture in
            let wrong = "bad8Q~" + String(repeating: "w", count: 34)
            let failure = await rotationFailure { _ = try await fixture.issuer(rotatorSecret: wrong).secrets(markedWith: "x") }
            #expect(failure?.code == .authenticationFailed)
            let text = failure?.description ?? ""
            #expect(text.contains("AADSTS7000215"))
            #expect(text.contains("rotator"))
            #expect(!text.contains(wrong))
            #expect(!text.contains("Trace ID"))

            let expired = "exp8Q~" + String(repeating: "e", count: 34)
            await fixture.emulator.addSecret(appID: fixture.rotatorID, value: expired, expires: Date().addingTimeInterval(-60))
            let expiredFailure = await rotationFailure { _ = try await fixture.issuer(rotatorSecret: expired).secrets(markedWith: "x") }
            #expect(expiredFailure?.code == .authenticationFailed)
            #expect(expiredFailure?.description.contains("AADSTS7000222") == true)
            #expect(expiredFailure?.description.contains("expired") == true)
        }
    }
}

import ClientSecrets
import Emulators
import Foundation
import Testing

@testable import EntraID

/// Graph's credential sign-in report: the parser refuses hostile answers, and the issuer reads the
/// report through the emulator, falling back (said once per session) where it is unavailable.
@Suite struct CredentialUsageTests {
    static let appID = "f4d9654f-0305-4072-878c-8bf266dfe146"
    static let keyID = "83f45296-fb8f-4aaa-a399-ac51084e02b7"
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-12

    static func answer(_ entries: [[String: Any]], nextLink: String? = nil) -> Data {
        var object: [String: Any] = ["value": entries]
        if let nextLink { object["@odata.nextLink"] = nextLink }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    static func entry(keyID: Any = keyID, appID: String = appID, lastSignIn: Any? = "2026-11-30T10:00:00.1234567Z") -> [String: Any] {
        var activity: [String: Any] = ["lastSignInRequestId": "b0a282a3-68ec-4ec8-aef0-290ed4350271"]
        if let lastSignIn { activity["lastSignInDateTime"] = lastSignIn }
        return ["keyId": keyID, "appId": appID, "resourceId": "00000003-0000-0000-c000-000000000000", "keyType": "clientSecret", "signInActivity": activity]
    }

    @Test func theDocumentedShapeIsRead() throws {
        let other = "8a37cfec-b0a1-4cb1-ac08-c52b03834f4a"
        let page = try CredentialSignInActivities.parse(Self.answer([
            Self.entry(),
            Self.entry(lastSignIn: "2026-11-01T00:00:00Z"),  // the same key for another resource: the later one counts
            Self.entry(keyID: other.uppercased(), lastSignIn: "2021-03-18T00:00:00-8:00"),  // Graph's own example's offset
            Self.entry(keyID: "not-a-guid", appID: "09e9da93-c1e8-4000-8b96-1ea6a12acf72"),  // another app: ignored
            Self.entry(keyID: "2b7cb1c0-4c1f-4c87-b1c6-35d2b5f0f8a1", lastSignIn: nil),  // no sign-in on record
        ]), appID: Self.appID, now: Self.now)
        #expect(page.signIns.count == 2)
        let signIn = try #require(page.signIns[Self.keyID])
        #expect(abs(signIn.at.timeIntervalSince1970 - 1_796_032_800.1234567) < 0.001)
        #expect(signIn.resource == "00000003-0000-0000-c000-000000000000")
        #expect(page.signIns[other]?.at == Date(timeIntervalSince1970: 1_616_054_400))
        #expect(page.nextLink == nil)
    }

    /// Hostile entries, as the JSON text of one entry of the app (arguments must be `Sendable`).
    @Test(arguments: [
        ("a key id that is not a GUID", #"{"keyId": "83f45296-fb8f-4aaa-a399-ac51084e02b7\n; rm -rf /", "appId": "\#(appID)"}"#, "not a GUID"),
        ("a missing key id", #"{"appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": "2026-11-30T10:00:00Z"}}"#, "not a GUID"),
        ("a key id that is a number", #"{"keyId": 42, "appId": "\#(appID)"}"#, "not a list"),
        ("a date that is not one", #"{"keyId": "\#(keyID)", "appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": "yesterday"}}"#, "not a date"),
        ("year 9999", #"{"keyId": "\#(keyID)", "appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": "9999-12-31T23:59:59Z"}}"#, "out of range"),
        ("the epoch", #"{"keyId": "\#(keyID)", "appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": "1970-01-01T00:00:00Z"}}"#, "out of range"),
        ("a date as a number", #"{"keyId": "\#(keyID)", "appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": 1796000000}}"#, "not a list"),
        ("a very long date", #"{"keyId": "\#(keyID)", "appId": "\#(appID)", "signInActivity": {"lastSignInDateTime": "2026-11-30T10:00:00.\#(String(repeating: "9", count: 5000))Z"}}"#, "not a date"),
    ])
    func hostileEntriesRefuseTheWholeAnswer(_ name: String, _ entry: String, _ reason: String) throws {
        let hostile = try #require(try JSONSerialization.jsonObject(with: Data(entry.utf8)) as? [String: Any])
        do {
            _ = try CredentialSignInActivities.parse(Self.answer([Self.entry(keyID: "2b7cb1c0-4c1f-4c87-b1c6-35d2b5f0f8a1"), hostile]), appID: Self.appID, now: Self.now)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(name): \(error)")
            #expect(!error.description.contains("rm -rf"))
        }
    }

    @Test(arguments: [Data("[]".utf8), Data("{\"value\": 3}".utf8), Data("<html>".utf8), Data()])
    func answersOfAnotherShapeAreRefused(_ body: Data) {
        #expect(throws: CredentialSignInActivities.Refusal.self) { try CredentialSignInActivities.parse(body, appID: Self.appID, now: Self.now) }
    }

    @Test func aTokenRequestWithASecretShowsInTheReport() async throws {
        try await EntraFixture.with(rotatorRoles: [EntraFixture.ownedBy, "AuditLog.Read.All"]) { fixture in
            let value = "app8Q~" + String(repeating: "A", count: 34)
            let keyID = await fixture.emulator.addSecret(appID: fixture.appID, value: value, expires: Date().addingTimeInterval(86_400))
            let issuer = fixture.issuer()
            guard case .report(let before) = await issuer.credentialUsage() else { Issue.record("no report"); return }
            #expect(before.isEmpty)
            let started = Date()
            _ = try await issuer.verify(keyID: keyID, value: .init(copying: Array(value.utf8)))
            guard case .report(let after) = await issuer.credentialUsage() else { Issue.record("no report"); return }
            let signIn = try #require(after[keyID])
            #expect(signIn.at >= started.addingTimeInterval(-1))
            let requests = await fixture.requests(.credentialSignInActivities)
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0.query.contains("appId eq '\(fixture.appID)'") }, "\(requests)")
        }
    }

    @Test func withoutThePermissionTheReportIsUnavailableAndSaidOnce() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            guard case .unavailable(let reason, let first) = await issuer.credentialUsage() else { Issue.record("expected unavailable"); return }
            #expect(reason.contains("403") && reason.contains("AuditLog.Read.All"), "\(reason)")
            #expect(first)
            guard case .unavailable(_, let second) = await issuer.credentialUsage() else { Issue.record("expected unavailable"); return }
            #expect(!second)
        }
    }

    @Test func otherCloudsHaveNoReportAndAreNotAsked() async throws {
        try await EntraFixture.with(rotatorRoles: [EntraFixture.ownedBy, "AuditLog.Read.All"], cloud: .usgov) { fixture in
            guard case .unavailable(let reason, _) = await fixture.issuer().credentialUsage() else { Issue.record("expected unavailable"); return }
            #expect(reason.contains("Global cloud"), "\(reason)")
            #expect(await fixture.requests(.credentialSignInActivities).isEmpty)
        }
    }

    @Test func aReportEndpointThatIsNotThereFallsBack() async throws {
        try await EntraFixture.with(rotatorRoles: [EntraFixture.ownedBy, "AuditLog.Read.All"]) { fixture in
            await fixture.emulator.injectFault(.status(404), on: .credentialSignInActivities)
            guard case .unavailable(let reason, _) = await fixture.issuer().credentialUsage() else { Issue.record("expected unavailable"); return }
            #expect(reason.contains("HTTP 404"), "\(reason)")
        }
    }
}

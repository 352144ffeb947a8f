import Emulators
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProcessHarness
import Testing

/// The case this product exists for, end to end against both emulators: a rotator and the Jamf
/// Pro ↔ Intune app in Entra ID, a Jamf Pro API client for verification, an apply command that
/// saves the payload in Jamf Pro, a canary Mac; then expiring, rotate, payload, retire.
@Suite("Jamf Pro + Intune rotation against the emulators", .serialized)
struct JamfIntuneRotationTests {
    @Test("register → expiring → rotate --dry-run → rotate → payload → retire; Jamf always holds a working secret")
    func jamfIntuneWalkthrough() async throws {
        // The world every end-to-end test starts from (EmulatorWorld): the rotator in Entra ID, a
        // Jamf Pro API client and a canary Mac in Jamf Pro, both in the vault. The apply command
        // also runs `jamf recon` on the canary: it reports right after each save.
        let world = try await EmulatorWorld.make(
            "jamf-intune", replicationDelay: .milliseconds(1500), jamf: .accepts, jamfConfiguration: .init(reportOnSave: true))
        let (entra, jamf, sandbox) = (world.entra, try world.jamf.emulator, world.sandbox)
        let jamfURL = try world.jamf.url
        let apply = Self.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamfURL)"
        let intune = try await world.addEntraApp(
            "jamf-intune", displayName: "Jamf Pro Intune", expiresInDays: 12,
            options: ["--consumer", "jamf-pro-intune=\(jamfURL)", "--jamf-api-client", "jamf-api", "--jamf-canary", EmulatorWorld.canary, "--apply-command", apply])
        let (intuneID, oldSecret, oldKey) = (intune.appID, intune.oldSecret, intune.oldKey)

        // Today's state: Jamf Pro was set up by hand with the old secret.
        let initial = try await sandbox.succeedAsync(["jamf", "payload", "jamf-intune", "--reveal"])
        try await Self.put(initial.standardOutput, to: jamfURL + "/_emulator/intune-integration")
        #expect(await jamf.configuredIntegration()?.secret == oldSecret)

        let expiring = try await sandbox.runAsync(["expiring", "--days", "30"])
        #expect(expiring.exitStatus == 1 && expiring.output.contains("jamf-intune"), "\(expiring)")

        let plan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run"])
        #expect(plan.output.contains("deploy to jamf-pro-intune \(jamfURL)"), "\(plan)")

        let rotated = try await sandbox.succeedAsync(["rotate", "--due"])
        #expect(rotated.output.contains("1 done"), "\(rotated)")
        #expect(rotated.output.contains("COMPLIANT"), "the canary check should be reported: \(rotated)")
        let newSecret = try await sandbox.succeedAsync(["secret", "get", "jamf-intune"]).output
        #expect(newSecret != oldSecret)
        // Jamf Pro now holds the new secret, which works at Entra ID; the old one still does too.
        #expect(await jamf.configuredIntegration()?.secret == newSecret)
        #expect(await entra.accepts(appID: intuneID, secret: newSecret))
        #expect(await entra.accepts(appID: intuneID, secret: oldSecret))
        #expect(!rotated.output.contains(newSecret) && !rotated.errorOutput.contains(newSecret))

        // The payload names the new key, the previous one and when it goes; the secret only with --reveal.
        let payload = try await sandbox.succeedAsync(["jamf", "payload", "jamf-intune"])
        #expect(!payload.output.contains(newSecret))
        let document = try JSONSerialization.jsonObject(with: payload.standardOutput) as? [String: Any]
        let previous = document?["previous"] as? [String: Any]
        #expect(previous?["keyID"] as? String == oldKey || previous?["keyId"] as? String == oldKey, "\(payload.output)")
        let runbook = try await sandbox.succeedAsync(["jamf", "payload", "jamf-intune", "--format", "text"])
        #expect(runbook.output.contains("Conditional Access"))

        // Retire the old secret now; Jamf Pro keeps working with the new one.
        let retired = try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf-intune", "--yes"])
        #expect(retired.output.contains(oldKey), "\(retired)")
        #expect(await entra.secrets(ofApp: intuneID).count == 1)
        #expect(await entra.accepts(appID: intuneID, secret: newSecret))
        #expect(await !entra.accepts(appID: intuneID, secret: oldSecret))

        // The Jamf Pro API client itself: regenerated, no overlap, stored before anything else.
        let apiRotated = try await sandbox.succeedAsync(["rotate", "jamf-api", "--force"])
        #expect(apiRotated.output.contains("jamf-api"), "\(apiRotated)")
        let newAPISecret = try await sandbox.succeedAsync(["secret", "get", "jamf-api"]).output
        #expect(await jamf.apiClientSecret(integrationID: EmulatorWorld.integrationID) == newAPISecret)
        try await sandbox.succeedAsync(["verify"])
        await world.finish()
    }

    static func put(_ body: Data, to url: String) async throws {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "PUT"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (_, response) = try await URLSession.shared.data(for: request)
        try #require((response as? HTTPURLResponse)?.statusCode == 204)
    }

    /// This file is <root>/Tests/EndToEndTests/JamfIntuneRotationTests.swift.
    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

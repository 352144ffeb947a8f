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
    static let tenant = "contoso.onmicrosoft.com"

    @Test("register → expiring → rotate --dry-run → rotate → payload → retire; Jamf always holds a working secret")
    func jamfIntuneWalkthrough() async throws {
        let entra = EntraEmulator(configuration: .init(replicationDelay: .milliseconds(1500)))
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        // The apply command also runs `jamf recon` on the canary: it reports right after each save.
        let jamf = JamfProEmulator(
            configuration: .init(reportOnSave: true), secretValidator: { _, appID, secret in await entra.accepts(appID: appID, secret: secret) })
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox("jamf-intune")
        defer { sandbox.remove() }
        sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL])

        // Entra ID: the rotator owns the Jamf app. Jamf Pro: an API client and a canary Mac.
        let rotatorID = Sandbox.guid(), intuneID = Sandbox.guid(), apiClientID = Sandbox.guid()
        let rotatorSecret = Sandbox.secretValue(), oldSecret = Sandbox.secretValue(), apiSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        await entra.registerApplication(appID: intuneID, displayName: "Jamf Pro Intune", owners: [rotatorID])
        let oldKey = await entra.addSecret(appID: intuneID, value: oldSecret, expires: Date().addingTimeInterval(12 * 86_400))
        await jamf.registerAPIClient(clientID: apiClientID, secret: apiSecret, integrationID: "7")
        await jamf.addComputer(id: "42")

        let apply = Self.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamfURL)"
        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", Self.tenant])
        _ = try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
        try sandbox.succeed([
            "app", "add", "jamf-api", "--app-id", apiClientID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "7",
        ])
        _ = try sandbox.addSecret("jamf-api", value: apiSecret, expires: "90d")
        try sandbox.succeed([
            "app", "add", "jamf-intune", "--app-id", intuneID, "--tenant", Self.tenant, "--issuer", "entra-id", "--rotator", "rotator",
            "--consumer", "jamf-pro-intune=\(jamfURL)", "--jamf-api-client", "jamf-api", "--jamf-canary", "42", "--apply-command", apply,
        ])
        _ = try sandbox.addSecret("jamf-intune", value: oldSecret, expires: "12d", options: ["--key-id", oldKey])

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
        #expect(await jamf.apiClientSecret(integrationID: "7") == newAPISecret)
        try await sandbox.succeedAsync(["verify"])
        await jamf.stop()
        await entra.stop()
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

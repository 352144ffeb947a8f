import Emulators
import Foundation
import ProcessHarness
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Faults at every step of a rotation, and the process killed in the middle of one, against both
/// emulators. After each run (and a resuming run when needed): exactly one current secret, the
/// issuer holds no secret the vault does not know, Jamf Pro holds the vault's current secret; and
/// all along, a monitor checks that the secret Jamf Pro holds works at Entra ID.
@Suite("Rotation under faults and kills", .serialized)
struct RotationFaultTests {
    static let tenant = "contoso.onmicrosoft.com"

    @Test("429, 5xx, timeouts and dropped connections at each step; SIGKILL mid-rotation; the consumer never holds a dead secret")
    func faultsAndKills() async throws {
        let entra = EntraEmulator(configuration: .init(replicationDelay: .milliseconds(300)))
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        let jamf = JamfProEmulator(secretValidator: { _, appID, secret in await entra.accepts(appID: appID, secret: secret) })
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox("rotate-faults")
        defer { sandbox.remove() }
        sandbox.setEnvironment([
            "SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL, "SECRETS_HTTP_TIMEOUT": "1",
        ])
        let rotatorID = Sandbox.guid(), appID = Sandbox.guid()
        let rotatorSecret = Sandbox.secretValue(), oldSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        await entra.registerApplication(appID: appID, displayName: "Jamf Pro Intune", owners: [rotatorID])
        let oldKey = await entra.addSecret(appID: appID, value: oldSecret, expires: Date().addingTimeInterval(12 * 86_400))
        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", Self.tenant])
        _ = try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
        try sandbox.succeed([
            "app", "add", "jamf", "--app-id", appID, "--tenant", Self.tenant, "--issuer", "entra-id", "--rotator", "rotator",
            "--consumer", "jamf-pro-intune=\(jamfURL)",
            "--apply-command", JamfIntuneRotationTests.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamfURL)",
        ])
        _ = try sandbox.addSecret("jamf", value: oldSecret, expires: "12d", options: ["--key-id", oldKey])
        try await JamfIntuneRotationTests.put(
            try await sandbox.succeedAsync(["jamf", "payload", "jamf", "--reveal"]).standardOutput, to: jamfURL + "/_emulator/intune-integration")

        let monitor = ConsumerMonitor()
        let watching = Task {
            while !Task.isCancelled {
                if let configured = await jamf.configuredIntegration(), configured.enabled {
                    await monitor.record(valid: await entra.accepts(appID: appID, secret: configured.secret))
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }

        let faults: [(EmulatedFault, EntraOperation)] = [
            (.status(429, retryAfter: 1), .addPassword), (.status(503), .addPassword), (.dropConnection, .addPassword),
            (.hang(seconds: 3), .addPassword), (.status(500), .getApplication), (.dropConnection, .getApplication),
            (.status(500), .token), (.hang(seconds: 3), .token), (.dropConnection, .token),
            (.status(429, retryAfter: 1), .removePassword), (.dropConnection, .removePassword),
        ]
        var resumedRuns = 0
        for (fault, operation) in faults {
            await entra.injectFault(fault, on: operation)
            var result = try await sandbox.runAsync(["rotate", "jamf", "--force"])
            if result.exitStatus != 0 {
                resumedRuns += 1
                result = try await sandbox.runAsync(["rotate", "jamf"])
            }
            #expect(result.exitStatus == 0, "\(fault) on \(operation): \(result)")
            try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf", "--yes"])
            try await expectConsistent(sandbox: sandbox, entra: entra, jamf: jamf, appID: appID, context: "\(fault) on \(operation)")
        }

        // SIGKILL at different moments: while Graph creates the secret, while the apply command
        // runs, while the new secret is verified.
        var kills = 0
        for (delay, slowOperation) in [(0.4, EntraOperation.addPassword), (1.2, .addPassword), (0.9, .token), (1.6, .token), (2.2, .token)] {
            await entra.injectFault(.slow(.milliseconds(1500)), on: slowOperation, times: 2)
            let killed = try await sandbox.runAsync(["rotate", "jamf", "--force"], killAfter: delay)
            if killed.exitStatus != 0 { kills += 1 }
            try await Task.sleep(for: .seconds(1.6))
            await entra.clearFaults()
            let resumed = try await sandbox.runAsync(["rotate", "jamf"])
            #expect(resumed.exitStatus == 0, "after a kill at \(delay) s: \(resumed)")
            try await expectConsistent(sandbox: sandbox, entra: entra, jamf: jamf, appID: appID, context: "kill at \(delay) s")
            // A kill that came before the rotation's journal was written (a slow start on a busy
            // machine) left nothing to resume, so no previous secret: nothing to retire then.
            let shown = try await sandbox.succeedAsync(["app", "show", "jamf", "--json"]).output
            if shown.contains("\"previous\"") { try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf", "--yes"]) }
        }
        watching.cancel()
        let (checks, failures) = await monitor.counts
        print("rotation faults: \(faults.count) faults, \(resumedRuns) needed a resuming run, \(kills) kills; consumer checked \(checks) times, \(failures) with a dead secret")
        #expect(kills >= 3)
        #expect(checks > 50)
        #expect(failures == 0)
        try await sandbox.succeedAsync(["verify"])
        await jamf.stop()
        await entra.stop()
    }

    /// One current secret; the issuer holds exactly the vault's live secrets; Jamf Pro holds the current one.
    func expectConsistent(sandbox: Sandbox, entra: EntraEmulator, jamf: JamfProEmulator, appID: String, context: String) async throws {
        let shown = try await sandbox.succeedAsync(["app", "show", "jamf", "--json"])
        let object = try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any]
        let credentials = object?["credentials"] as? [[String: Any]] ?? []
        let live = Set(credentials.filter { $0["state"] as? String != "retired" }.compactMap { $0["keyId"] as? String })
        let current = credentials.filter { $0["state"] as? String == "current" }.compactMap { $0["keyId"] as? String }
        #expect(current.count == 1, "\(context): \(credentials)")
        let atIssuer = Set(await entra.secrets(ofApp: appID).map(\.keyID))
        #expect(atIssuer == live, "\(context): issuer holds \(atIssuer), vault \(live)")
        let value = try await sandbox.succeedAsync(["secret", "get", "jamf"]).output
        #expect(await jamf.configuredIntegration()?.secret == value, "\(context): Jamf Pro does not hold the current secret")
    }
}

/// Counts the monitor's checks of the consumer's secret.
actor ConsumerMonitor {
    private var checks = 0
    private var failures = 0
    func record(valid: Bool) {
        checks += 1
        if !valid { failures += 1 }
    }
    var counts: (Int, Int) { (checks, failures) }
}

import Emulators
import Foundation
import ProcessHarness
import Testing

/// The Jamf Pro canary proves something only with an inventory report made after the new secret
/// was applied: through the real binary against both emulators.
@Suite("Jamf Pro canary freshness against the emulators", .serialized)
struct CanaryVerificationTests {
    /// Entra ID with a rotator and the Jamf Pro Intune app, Jamf Pro holding the old secret (saved
    /// by hand), an API client, canary 42 and the sample apply command.
    struct World {
        let base: EmulatorWorld
        let app: EmulatorWorld.EntraApp
        let jamf: JamfProEmulator
        let jamfURL: String
        var sandbox: Sandbox { base.sandbox }
        var entra: EntraEmulator { base.entra }
        var intuneID: String { app.appID }
        var oldSecret: String { app.oldSecret }

        static func make(_ name: String, reportOnSave: Bool) async throws -> World {
            let base = try await EmulatorWorld.make(
                name, replicationDelay: .milliseconds(300), jamf: .signIn, jamfConfiguration: .init(reportOnSave: reportOnSave))
            let jamf = try base.jamf
            let apply = JamfIntuneRotationTests.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamf.url)"
            let app = try await base.addEntraApp(
                "jamf-intune", displayName: "Jamf Pro Intune", expiresInDays: 12,
                options: ["--consumer", "jamf-pro-intune=\(jamf.url)", "--jamf-api-client", "jamf-api", "--jamf-canary", EmulatorWorld.canary, "--apply-command", apply])
            // Jamf Pro was set up by hand with the old secret, and the canary has reported with it.
            let initial = try await base.sandbox.succeedAsync(["jamf", "payload", "jamf-intune", "--reveal"])
            try await JamfIntuneRotationTests.put(initial.standardOutput, to: jamf.url + "/_emulator/intune-integration")
            await jamf.emulator.report(computerID: EmulatorWorld.canary)
            return World(base: base, app: app, jamf: jamf.emulator, jamfURL: jamf.url)
        }

        func finish() async { await base.finish() }
    }

    @Test("a canary whose last report predates the change is not verified yet: the app waits (75)")
    func staleCanaryIsNotVerified() async throws {
        let world = try await World.make("canary-stale", reportOnSave: false)
        defer { Task { await world.finish() } }
        let started = Date()
        let rotated = try await world.sandbox.runAsync(["rotate", "--due", "--jamf-canary-wait", "2s"])
        #expect(Date().timeIntervalSince(started) < 90, "the wait is bounded")
        // Jamf Pro's compliance answer still says COMPLIANT (from the report made with the old
        // secret): that must never be read as the new secret working.
        #expect(!rotated.output.contains("reports COMPLIANT"), "a stale report was taken as verified: \(rotated)")
        #expect(rotated.output.contains("not verified yet") && rotated.output.contains("sudo jamf recon"), "\(rotated)")
        // Waiting for a person is the engine's part (issue 13, part A): until it is merged, the
        // run promotes and exits 0 with the note above.
        withKnownIssue("the engine does not yet wait on a verify that needs a person") {
            #expect(rotated.exitStatus == 75, "\(rotated)")
        } when: { rotated.exitStatus == 0 }
        // The old secret is never removed while the new one is unproven.
        #expect(await world.entra.secrets(ofApp: world.intuneID).count == 2)
    }

    @Test("a forged record of when the secret was applied never makes a stale report count: the resumed verify waits (75)",
          arguments: [0o600, 0o666] as [Int16])
    func forgedApplyMomentIsNotTrusted(mode: Int16) async throws {
        let world = try await World.make("canary-forged-\(String(mode, radix: 8))", reportOnSave: false)
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        // The apply command says which process runs it; that process is killed while verify waits
        // for the canary, so that the next run resumes verify and reads the record back.
        let pidFile = sandbox.directory.path("rotate.pid")
        let apply = Sandbox.announcePID(to: pidFile) + "; exec " + JamfIntuneRotationTests.repositoryRoot
            + "/Examples/jamf-payload/apply-to-emulator.sh \(world.jamfURL)"
        try await sandbox.succeedAsync(["app", "edit", "jamf-intune", "--apply-command", apply])
        let jamf = world.jamf
        // The canary last reported ten minutes ago (the vault dates secrets to the second: a report
        // in the same second as the new secret's creation is too close to tell apart).
        let tenMinutesAgo = Date().addingTimeInterval(-600).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        await jamf.report(computerID: EmulatorWorld.canary, reportDate: tenMinutesAgo)
        let reads = await jamf.requests().filter { $0.operation == .computerInventory }.count
        _ = try await sandbox.runKilled(["rotate", "--due", "--jamf-canary-wait", "60s"], pidFile: pidFile) {
            await jamf.requests().filter { $0.operation == .computerInventory }.count > reads
        }
        let payloads = sandbox.payloadsDirectory
        let records = try FileManager.default.contentsOfDirectory(atPath: payloads).filter { $0.hasSuffix(".applied") }
        try #require(records.count == 1, "\(records)")
        let record = payloads + "/" + records[0]

        // Rewritten to say the secret was applied in 2020, before the canary's last report (made
        // with the old secret ten minutes ago): as secrets writes it (this user's, 0600), so only
        // its content is wrong, or writable by anyone, as in a shared directory.
        try FileManager.default.removeItem(atPath: record)
        #expect(FileManager.default.createFile(atPath: record, contents: Data("2020-01-01T00:00:00.000Z\n".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: record)
        let resumed = try await sandbox.runAsync(["rotate", "--due", "--jamf-canary-wait", "0"])
        #expect(!resumed.output.contains("reports COMPLIANT"), "a stale report was taken as verified: \(resumed)")
        #expect(resumed.exitStatus == 75 && resumed.output.contains("not verified yet"), "\(resumed)")
        if mode == 0o666 { #expect(resumed.output.contains("not trusted"), "\(resumed)") }
        // The old secret is never removed on the strength of it.
        #expect(await world.entra.secrets(ofApp: world.intuneID).count == 2)
    }

    @Test("a report made after the apply proves the integration: verified, and the next run has nothing to do")
    func freshReportIsVerified() async throws {
        let world = try await World.make("canary-fresh", reportOnSave: true)
        defer { Task { await world.finish() } }
        let rotated = try await world.sandbox.succeedAsync(["rotate", "--due"])
        #expect(rotated.output.contains("sent inventory at") && rotated.output.contains("reports COMPLIANT"), "\(rotated)")
        #expect(rotated.output.contains("1 done") || rotated.output.contains("2 done"), "\(rotated)")
        let newSecret = try await world.sandbox.succeedAsync(["secret", "get", "jamf-intune"]).output
        #expect(await world.jamf.configuredIntegration()?.secret == newSecret)
        #expect(!rotated.output.contains(newSecret) && !rotated.errorOutput.contains(newSecret))
    }
}

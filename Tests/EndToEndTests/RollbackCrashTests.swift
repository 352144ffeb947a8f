import Emulators
import Foundation
import ProcessHarness
import Testing

/// `kill -9` in the middle of `secrets rollback`: the next `rotate` finishes the rollback. The
/// real binary against both emulators; the kill lands while the apply command is handing the
/// rolled-back secret to Jamf Pro, the one step that changes a consumer.
@Suite("A crash in the middle of a rollback", .serialized)
struct RollbackCrashTests {
    @Test("SIGKILL during a rollback's deploy: the next rotate resumes it to the end, and issuer, vault and Jamf Pro agree")
    func killedRollbackIsResumed() async throws {
        let world = try await EmulatorWorld.make("rollback-crash", jamf: .accepts)
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox, jamf = try world.jamf
        // The apply command blocks, once armed, after saying which process runs it, until released.
        let (armed, pidFile, release) = (sandbox.directory.path("armed"), sandbox.directory.path("rollback.pid"), sandbox.directory.path("release"))
        let script = JamfIntuneRotationTests.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh"
        let apply = "if [ -e '\(armed)' ]; then rm '\(armed)'; \(Sandbox.announcePID(to: pidFile)); "
            + "while [ ! -e '\(release)' ]; do sleep 0.05; done; exit 3; fi; exec '\(script)' \(jamf.url)"
        let app = try await world.addEntraApp(
            "intune", displayName: "Jamf Pro Intune", expiresInDays: 60, options: ["--consumer", "jamf-pro-intune=\(jamf.url)", "--apply-command", apply])

        // A rotation puts a new secret in place; the old one is previous, still valid.
        try await sandbox.succeedAsync(["rotate", "intune", "--force"])
        let rotated = try #require(try current(sandbox))
        #expect(rotated != app.oldKey)
        #expect(await jamf.emulator.configuredIntegration()?.secret == (try await secret(sandbox)))

        // The rollback to the old secret is killed while the apply command holds it.
        _ = FileManager.default.createFile(atPath: armed, contents: nil)
        let killed = try await sandbox.runKilled(["rollback", "intune", "--yes"], pidFile: pidFile)
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        #expect(!killed.output.contains("rolled back"), "\(killed)")
        // Mid-rollback: nothing switched yet, the rollback's journal row open for the next run.
        #expect(try current(sandbox) == rotated)
        let plan = try await sandbox.succeedAsync(["rotate", "intune", "--dry-run"])
        #expect(plan.output.contains("resume the rollback"), "\(plan)")

        let resumed = try await sandbox.succeedAsync(["rotate", "intune"])
        #expect(resumed.output.contains("resumed 1"), "\(resumed)")
        // One current secret, the old one again; the secret it replaced retired (the rollback
        // ended its overlap), at the issuer too.
        let credentials = try keysByState(sandbox)
        #expect(credentials["current"] == [app.oldKey], "\(credentials)")
        #expect(credentials["retired"] == [rotated], "\(credentials)")
        let live = Set((credentials["current"] ?? []) + (credentials["previous"] ?? []) + (credentials["pending"] ?? []))
        #expect(await world.keysAtIssuer(app.appID) == live, "the issuer holds what the vault does not, or the reverse")
        #expect(await jamf.emulator.configuredIntegration()?.secret == app.oldSecret, "Jamf Pro does not hold the current secret")
        #expect(try await secret(sandbox) == app.oldSecret)

        // The audit log tells the story: rotated, rolled back (once, by the resumed run), retired.
        let log = try await sandbox.succeedAsync(["log", "--app", "intune"]).output
        // Oldest first.
        let lines = log.split(separator: "\n").map(String.init)
        func entries(_ action: String, _ key: String) -> [Int] {
            lines.indices.filter { lines[$0].contains(action + " ") && lines[$0].contains(key) }
        }
        let promoted = entries("rotation.promote", rotated), rolledBack = entries("rotation.rollback", app.oldKey)
        let retired = entries("secret.retire", rotated)
        #expect(promoted.count == 1 && rolledBack.count == 1 && retired.count == 1, "\(log)")
        #expect((promoted.first ?? .max) < (rolledBack.first ?? .min) && (rolledBack.first ?? .max) < (retired.first ?? .min), "\(log)")
        sandbox.expectNoLeak(of: app.oldSecret)
    }

    /// The current key id of `intune`.
    private func current(_ sandbox: Sandbox) throws -> String? {
        try keysByState(sandbox)["current"]?.first
    }

    /// `intune`'s key ids by state, from `app show --json`.
    private func keysByState(_ sandbox: Sandbox) throws -> [String: [String]] {
        let shown = try sandbox.succeed(["app", "show", "intune", "--json"])
        let object = try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any]
        let credentials = object?["credentials"] as? [[String: Any]] ?? []
        return Dictionary(grouping: credentials, by: { $0["state"] as? String ?? "?" }).mapValues { $0.compactMap { $0["keyId"] as? String } }
    }

    /// `intune`'s current secret value.
    private func secret(_ sandbox: Sandbox) async throws -> String {
        try await sandbox.succeedAsync(["secret", "get", "intune"]).output.trimmingCharacters(in: .newlines)
    }
}

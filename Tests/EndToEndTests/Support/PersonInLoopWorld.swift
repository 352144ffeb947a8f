import Emulators
import Foundation
import ProcessHarness
import Testing

/// Both emulators and a vault with a rotator, a Jamf Pro API client (`jamf-api`, integration 7)
/// and an Entra ID app `intune` whose current secret (`oldKey`) expires in 10 days, so it is due;
/// its consumers are chosen per test.
final class PersonInLoopWorld: @unchecked Sendable {
    /// What receives `intune`'s secret.
    enum Consumer {
        /// jamf-pro-intune without an apply command (a person enters the secret); `verified`: with
        /// the API client and canary computer 42. Nothing is saved in Jamf Pro to begin with.
        case jamfWithoutApply(verified: Bool)
        /// Command consumers writing a.txt then b.txt; a fails once where `a-fails` exists, b
        /// lingers 6 s after writing unless `b-fast` exists.
        case twoCommands
        /// A command consumer writing c.txt, failing while `c-fails` exists.
        case failingCommand
    }

    /// The emulators and the vault's rotator and `jamf-api` (``EmulatorWorld``).
    let world: EmulatorWorld
    let jamf: JamfProEmulator
    let jamfURL: String
    /// `intune`: its id, and the secret it starts with.
    let app: EmulatorWorld.EntraApp
    let previousSecret = Sandbox.secretValue()

    var sandbox: Sandbox { world.sandbox }
    var entra: EntraEmulator { world.entra }
    var appID: String { app.appID }
    var oldSecret: String { app.oldSecret }
    var oldKey: String { app.oldKey }

    private init(world: EmulatorWorld, jamf: EmulatorWorld.Jamf, app: EmulatorWorld.EntraApp) {
        self.world = world
        self.jamf = jamf.emulator
        self.jamfURL = jamf.url
        self.app = app
    }

    static func make(_ name: String, consumer: Consumer) async throws -> PersonInLoopWorld {
        let base = try await EmulatorWorld.make(name, jamf: .accepts)
        let jamf = try base.jamf
        let jamfURL = jamf.url
        let directory = base.sandbox.directory
        let consumers: [String]
        switch consumer {
        case .jamfWithoutApply(let verified):
            consumers = ["--consumer", "jamf-pro-intune=\(jamfURL)"] + (verified ? ["--jamf-api-client", "jamf-api", "--jamf-canary", "42"] : [])
        case .twoCommands:
            let (aFails, a) = (directory.path("a-fails"), directory.path("a.txt"))
            let (bFast, b) = (directory.path("b-fast"), directory.path("b.txt"))
            consumers = [
                "--consumer", "command=if [ -e '\(aFails)' ]; then rm '\(aFails)'; exit 3; fi; cat > '\(a)'",
                "--consumer", "command=cat > '\(b)'; if [ ! -e '\(bFast)' ]; then sleep 6; fi",
            ]
        case .failingCommand:
            let (fails, c) = (directory.path("c-fails"), directory.path("c.txt"))
            consumers = ["--consumer", "command=if [ -e '\(fails)' ]; then exit 3; fi; cat > '\(c)'"]
        }
        let app = try await base.addEntraApp("intune", displayName: "Jamf Pro Intune", expiresInDays: 10, options: consumers)
        let world = PersonInLoopWorld(world: base, jamf: jamf, app: app)
        if case .twoCommands = consumer {
            // Both consumers hold the old secret to begin with.
            for file in ["a.txt", "b.txt"] {
                _ = FileManager.default.createFile(atPath: directory.path(file), contents: Data(world.oldSecret.utf8))
            }
        }
        return world
    }

    /// Adds a previous secret of `intune`, valid for 60 days, at the issuer and in the vault.
    func addPreviousKey() async throws -> String {
        let key = await entra.addSecret(appID: appID, value: previousSecret, expires: Date().addingTimeInterval(60 * 86_400))
        _ = try sandbox.addSecret("intune", value: previousSecret, expires: "60d", options: ["--key-id", key, "--state", "previous"])
        return key
    }

    /// A person puts `intune`'s current secret into Jamf Pro, as the runbook says.
    func personEntersCurrentSecret() async throws {
        let payload = try await sandbox.succeedAsync(["jamf", "payload", "intune", "--reveal"])
        try await JamfIntuneRotationTests.put(payload.standardOutput, to: jamfURL + "/_emulator/intune-integration")
    }

    /// `intune`'s credentials as `app show --json` lists them.
    func credentials() throws -> [[String: Any]] {
        let shown = try sandbox.succeed(["app", "show", "intune", "--json"])
        let object = try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any]
        return object?["credentials"] as? [[String: Any]] ?? []
    }

    /// The credentials as canonical JSON text, to compare before and after a command.
    func credentialsJSON() throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: try credentials(), options: [.sortedKeys]), as: UTF8.self)
    }

    /// The key ids of `intune`'s credentials in `state`.
    func keys(_ state: String) throws -> [String] {
        try credentials().filter { $0["state"] as? String == state }.compactMap { $0["keyId"] as? String }
    }

    /// The key ids Entra ID holds for `intune`.
    func atIssuer() async -> Set<String> {
        await world.keysAtIssuer(appID)
    }

    /// A consumer file's content, if it exists.
    func file(_ name: String) -> String? {
        try? String(contentsOfFile: sandbox.directory.path(name), encoding: .utf8)
    }

    func finish() async {
        await world.finish()
    }
}

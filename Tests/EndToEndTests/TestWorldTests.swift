import Emulators
import Foundation
import ProcessHarness
import Testing

/// The shared test world's own promises: what the quick start sources is what the emulators hold.
@Suite("The shared test world")
struct TestWorldTests {
    @Test("a vault command's shell line gives bash back every argument and the secret on stdin, quoting included")
    func shellLineRoundTrips() throws {
        let arguments = ["secret", "add", "a b", "it's", "$HOME", "x;y|z", "", "~/q", "`id`", "--expires", "12d"]
        let secret = "Q8'~._-\"$(id)`\\"
        let line = VaultCommand(arguments, standardInput: secret).shellLine
        // A `secrets` that prints what it was given: stdin, then each argument on its own line.
        let script = "secrets() { cat; printf '\\n'; printf '[%s]\\n' \"$@\"; }\n" + line + "\n"
        let result = try ProcessRunner.run("/bin/bash", arguments: ["-c", script], timeout: 30)
        #expect(result.succeeded, "\(result)")
        #expect(result.output == secret + "\n" + arguments.map { "[\($0)]\n" }.joined())
    }

    @Test("the world's script, sourced by bash, adds to the vault exactly the apps and keys the emulators hold")
    func scriptBuildsTheVault() async throws {
        let entra = EntraEmulator()
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        defer { Task { await entra.stop() } }
        let plan = WorldPlan(apps: [.init(label: "orders", expiresInDays: 9), .init(label: "payroll", expiresInDays: 40)])
        let world = await SeededWorld.seed(plan, entra: entra, entraURL: entraURL)
        let sandbox = try Sandbox("test-world")
        defer { sandbox.remove() }
        try sandbox.initVault()
        let scriptPath = sandbox.directory.path("world.sh")
        try Data(world.shellScript.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let bash = "secrets() { \"$SECRETS_BINARY\" \"$@\"; }\nsource \"$1\"\nprintf '%s\\n' \"$world_rotator_app_id\"\n"
        let result = try sandbox.runProgram("/bin/bash", ["-c", bash, "world", scriptPath])
        #expect(result.succeeded, "\(result)")
        #expect(result.output.split(separator: "\n").last.map(String.init) == world.rotator.appID)
        for app in [world.rotator] + world.apps {
            let shown = try sandbox.decode(AppShown.self, from: try sandbox.succeed(["app", "show", app.label, "--json"]))
            #expect(shown.appId == app.appID)
            let atIssuer = await entra.secrets(ofApp: app.appID).map(\.keyID)
            #expect(shown.credentials.map(\.keyId) == atIssuer, "\(app.label)")
            #expect(atIssuer == [app.keyID].compactMap { $0 })
        }
        #expect(try sandbox.succeed(["secret", "get", "orders"]).output.trimmingCharacters(in: .newlines) == world.app("orders")?.secret)
    }

    private struct AppShown: Decodable {
        struct Credential: Decodable { let keyId: String }
        let appId: String
        let credentials: [Credential]
    }
}

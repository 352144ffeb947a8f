import Emulators
import Foundation
import ProcessHarness
import Testing

/// `secrets rotate` against the Entra ID emulator over real loopback HTTP, through the endpoint
/// overrides, as an admin would run it.
@Suite("Rotation against the Entra ID emulator", .serialized)
struct EntraRotationTests {
    static let tenant = "contoso.onmicrosoft.com"

    /// A vault with a rotator and a Jamf app, both registered at a running emulator, the Jamf app
    /// holding `oldSecret` (expiring in 10 days) and handing new secrets to a command consumer
    /// that writes them to `consumer.txt`.
    struct World {
        let sandbox: Sandbox
        let emulator: EntraEmulator
        let rotatorID = Sandbox.guid()
        let jamfID = Sandbox.guid()
        let oldSecret = Sandbox.secretValue()
        var oldKey = ""
        var consumerFile: String { sandbox.directory.path("consumer.txt") }

        static func make(_ name: String, replication: Duration = .milliseconds(800)) async throws -> World {
            let emulator = EntraEmulator(configuration: .init(replicationDelay: replication))
            let url = try await emulator.start()
            let base = url.absoluteString.hasSuffix("/") ? String(url.absoluteString.dropLast()) : url.absoluteString
            let sandbox = try Sandbox(name)
            sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": base, "SECRETS_GRAPH_ENDPOINT": base])
            var world = World(sandbox: sandbox, emulator: emulator)
            let rotatorSecret = Sandbox.secretValue()
            await emulator.registerApplication(appID: world.rotatorID, displayName: "secrets rotator", roles: ["Application.ReadWrite.OwnedBy"])
            let rotatorKey = await emulator.addSecret(appID: world.rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
            await emulator.registerApplication(appID: world.jamfID, displayName: "Jamf Pro Intune", owners: [world.rotatorID])
            world.oldKey = await emulator.addSecret(appID: world.jamfID, value: world.oldSecret, expires: Date().addingTimeInterval(10 * 86_400))

            try sandbox.initVault()
            try sandbox.succeed(["app", "add", "rotator", "--app-id", world.rotatorID, "--tenant", tenant])
            _ = try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
            try sandbox.succeed([
                "app", "add", "jamf", "--app-id", world.jamfID, "--tenant", tenant, "--issuer", "entra-id", "--rotator", "rotator",
                "--consumer", "command=cat > '\(world.consumerFile)'",
            ])
            _ = try sandbox.addSecret("jamf", value: world.oldSecret, expires: "10d", options: ["--key-id", world.oldKey])
            return world
        }

        func currentKey() throws -> String {
            let shown = try sandbox.succeed(["app", "show", "jamf", "--json"])
            let object = try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any]
            let credentials = object?["credentials"] as? [[String: Any]] ?? []
            return credentials.first { $0["state"] as? String == "current" }?["keyId"] as? String ?? ""
        }

        func consumerHolds() -> String? { try? String(contentsOfFile: consumerFile, encoding: .utf8) }

        func finish() async {
            await emulator.stop()
            sandbox.remove()
        }
    }

    @Test("dry run → rotate → the new secret works, the old one overlaps → a second run does nothing")
    func rotateEndToEnd() async throws {
        let world = try await World.make("rotate-entra")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox

        let plan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run"])
        #expect(plan.output.contains("jamf"), "\(plan)")
        #expect(plan.output.contains("create a new secret at entra-id"))
        #expect(plan.output.contains("Dry run: nothing was changed."))
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 1)

        let rotated = try await sandbox.succeedAsync(["rotate", "jamf"])
        #expect(rotated.output.contains("1 app(s): 1 done"), "\(rotated)")
        let atIssuer = await world.emulator.secrets(ofApp: world.jamfID)
        #expect(atIssuer.count == 2)
        let newKey = try world.currentKey()
        let created = try #require(atIssuer.first { $0.keyID == newKey })
        #expect(created.displayName?.hasPrefix("secrets:") == true)
        // The vault, the consumer and the issuer agree on the new value, and both secrets work.
        let stored = try await sandbox.succeedAsync(["secret", "get", "jamf"]).output
        #expect(stored == created.value)
        #expect(world.consumerHolds() == created.value)
        #expect(await world.emulator.accepts(appID: world.jamfID, secret: created.value))
        #expect(await world.emulator.accepts(appID: world.jamfID, secret: world.oldSecret))
        // The new value is never printed by rotate.
        #expect(!rotated.output.contains(created.value) && !rotated.errorOutput.contains(created.value))

        let again = try await sandbox.succeedAsync(["rotate", "--due"])
        #expect(again.output.contains("Nothing to do"), "\(again)")
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 2)
        try await sandbox.succeedAsync(["verify"])
    }

    @Test("429 with Retry-After and a 500 are retried; the rotation completes")
    func throttlingIsRetried() async throws {
        let world = try await World.make("rotate-throttled")
        defer { Task { await world.finish() } }
        await world.emulator.injectFault(.status(429, retryAfter: 1), on: .addPassword)
        await world.emulator.injectFault(.status(500), on: .getApplication)
        let started = Date()
        let rotated = try await world.sandbox.succeedAsync(["rotate", "jamf", "--json"])
        #expect(Date().timeIntervalSince(started) >= 1, "Retry-After was not honoured")
        let object = try JSONSerialization.jsonObject(with: rotated.standardOutput) as? [String: Any]
        let apps = object?["apps"] as? [[String: Any]] ?? []
        #expect(apps.first?["status"] as? String == "done", "\(rotated)")
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 2)
    }

    @Test("a consumer that fails gets the old secret back; the old one stays current, the new one is removed at the issuer")
    func failedDeployIsUndone() async throws {
        let world = try await World.make("rotate-deploy-fails")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        // Fails once (for the new secret), then takes what it is given (the old one back).
        let marker = sandbox.directory.path("fail-once")
        #expect(FileManager.default.createFile(atPath: marker, contents: Data()))
        try sandbox.succeed(["app", "edit", "jamf", "--consumer", "command=if [ -e '\(marker)' ]; then rm '\(marker)'; exit 3; fi; cat > '\(world.consumerFile)'"])
        let failed = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(failed.exitStatus == 1, "\(failed)")
        #expect(failed.errorOutput.contains("rotation failed for 1 app(s): jamf"))
        #expect(try world.currentKey() == world.oldKey)
        #expect(world.consumerHolds() == world.oldSecret)
        #expect(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID) == [world.oldKey])
        try await sandbox.succeedAsync(["verify"])
    }

    @Test("a consumer that stays broken keeps the new secret pending until the rotation is abandoned")
    func brokenConsumerAndAbandon() async throws {
        let world = try await World.make("rotate-abandon")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        try sandbox.succeed(["app", "edit", "jamf", "--consumer", "command=exit 3"])
        let failed = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(failed.exitStatus == 1, "\(failed)")
        #expect(failed.output.contains("stays pending"), "\(failed)")
        // Both secrets stay valid: nothing a consumer may hold was removed.
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 2)
        #expect(try world.currentKey() == world.oldKey)
        let again = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(again.exitStatus == 1 && again.output.contains("stays pending"), "\(again)")
        let abandoned = try await sandbox.succeedAsync(["rotate", "jamf", "--abandon", "--yes"])
        #expect(abandoned.output.contains("done"), "\(abandoned)")
        #expect(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID) == [world.oldKey])
        let plan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run"])
        #expect(plan.output.contains("create a new secret"), "\(plan)")
        try await sandbox.succeedAsync(["verify"])
    }

    @Test("killed while Graph creates the secret: the next run removes the orphan and rotates once")
    func killedDuringCreate() async throws {
        let world = try await World.make("rotate-killed")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        // The emulator creates the secret 3 s after the request; the process dies after 1.5 s.
        await world.emulator.injectFault(.slow(.seconds(3)), on: .addPassword)
        let killed = try await sandbox.runAsync(["rotate", "jamf"], killAfter: 1.5)
        #expect(killed.exitStatus != 0)
        try await Task.sleep(for: .seconds(2))
        let orphaned = await world.emulator.secrets(ofApp: world.jamfID)
        #expect(orphaned.count == 2, "the emulator should hold the orphan: \(orphaned.map(\.keyID))")
        let resumed = try await sandbox.succeedAsync(["rotate", "jamf"])
        #expect(resumed.output.contains("resumed 1"), "\(resumed)")
        let atIssuer = await world.emulator.secrets(ofApp: world.jamfID)
        let newKey = try world.currentKey()
        #expect(Set(atIssuer.map(\.keyID)) == [world.oldKey, newKey])
        #expect(!orphaned.contains { $0.keyID == newKey && $0.keyID != world.oldKey })
        try await sandbox.succeedAsync(["verify"])
    }

    @Test("rollback puts the previous secret back; retire-now removes the other one at the issuer")
    func rollbackAndRetireNow() async throws {
        let world = try await World.make("rotate-rollback")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        try await sandbox.succeedAsync(["rotate", "jamf"])
        let newKey = try world.currentKey()
        try await sandbox.succeedAsync(["rollback", "jamf", "--yes"])
        #expect(try world.currentKey() == world.oldKey)
        #expect(world.consumerHolds() == world.oldSecret)
        let retired = try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf", "--yes"])
        #expect(retired.output.contains(newKey), "\(retired)")
        #expect(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID) == [world.oldKey])
        let noConfirm = try await sandbox.runAsync(["rollback", "jamf"])
        #expect(noConfirm.exitStatus == 64 || noConfirm.exitStatus == 1, "\(noConfirm)")
    }

    @Test("no arguments explains what --due would do on stdout and exits 0, as help does")
    func rotateWithoutArguments() async throws {
        let world = try await World.make("rotate-explain")
        defer { Task { await world.finish() } }
        let result = try await world.sandbox.runAsync(["rotate"])
        #expect(result.exitStatus == 0, "\(result)")
        #expect(result.output.contains("With --due it would now rotate 1 app(s) (jamf)"), "\(result)")
        #expect(result.output.contains("secrets rotate --due --dry-run"), "\(result)")
        #expect(result.errorOutput.isEmpty, "\(result)")
        // --json keeps stdout's shape: no app rotated; the explanation goes to stderr.
        let json = try await world.sandbox.runAsync(["rotate", "--json"])
        #expect(json.exitStatus == 0, "\(json)")
        let object = try JSONSerialization.jsonObject(with: json.standardOutput) as? [String: Any]
        #expect((object?["apps"] as? [Any])?.isEmpty == true, "\(json)")
        #expect(json.errorOutput.contains("With --due it would now rotate 1 app(s)"), "\(json)")
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 1)
    }
}

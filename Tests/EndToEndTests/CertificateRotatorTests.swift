import Emulators
import Foundation
import ProcessHarness
import Testing

/// A rotator that holds only a certificate (issue 16): made by `secrets cert new`, uploaded as a
/// person would, proven by `secrets cert activate`, then rotating the Jamf app's secret with
/// client assertions that the emulator checks for real.
@Suite("A certificate rotator against the Entra ID emulator", .serialized)
struct CertificateRotatorTests {
    static let tenant = "contoso.onmicrosoft.com"

    struct World {
        let sandbox: Sandbox
        let emulator: EntraEmulator
        let rotatorID = Sandbox.guid()
        let jamfID = Sandbox.guid()
        var consumerFile: String { sandbox.directory.path("consumer.txt") }

        /// The emulator knows a rotator with no credential at all and a Jamf app it owns; the
        /// vault knows both, the Jamf app with its current secret.
        static func make(_ name: String) async throws -> World {
            let emulator = EntraEmulator(configuration: .init(replicationDelay: .milliseconds(300)))
            let url = try await emulator.start()
            let base = url.absoluteString.hasSuffix("/") ? String(url.absoluteString.dropLast()) : url.absoluteString
            let sandbox = try Sandbox(name)
            sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": base, "SECRETS_GRAPH_ENDPOINT": base])
            let world = World(sandbox: sandbox, emulator: emulator)
            await emulator.registerApplication(appID: world.rotatorID, displayName: "secrets rotator", roles: ["Application.ReadWrite.OwnedBy"])
            await emulator.registerApplication(appID: world.jamfID, displayName: "Jamf Pro Intune", owners: [world.rotatorID])
            let oldSecret = Sandbox.secretValue()
            let oldKey = await emulator.addSecret(appID: world.jamfID, value: oldSecret, expires: Date().addingTimeInterval(10 * 86_400))
            try sandbox.initVault()
            try sandbox.succeed(["app", "add", "rotator", "--app-id", world.rotatorID, "--tenant", tenant])
            try sandbox.succeed([
                "app", "add", "jamf", "--app-id", world.jamfID, "--tenant", tenant, "--issuer", "entra-id", "--rotator", "rotator",
                "--consumer", "command=cat > '\(world.consumerFile)'",
            ])
            _ = try sandbox.addSecret("jamf", value: oldSecret, expires: "10d", options: ["--key-id", oldKey])
            return world
        }

        /// `cert pem`, uploaded to the emulator as the portal would take it.
        func uploadPending() async throws {
            let pem = try sandbox.succeed(["cert", "pem", "rotator"]).output
            let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            let der = try #require(Data(base64Encoded: base64))
            _ = try #require(await emulator.uploadCertificate(appID: rotatorID, der: Array(der)))
        }

        func certificates() throws -> [[String: Any]] {
            let shown = try sandbox.succeed(["cert", "show", "rotator", "--json"])
            return try #require(try JSONSerialization.jsonObject(with: shown.standardOutput) as? [[String: Any]])
        }

        func finish() async {
            await emulator.stop()
            sandbox.remove()
        }
    }

    @Test("cert new → refused before the upload → upload → activate → the rotator rotates the Jamf app with no secret of its own")
    func certificateRotatorRotates() async throws {
        let world = try await World.make("cert-rotator")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox

        let made = try sandbox.succeed(["cert", "new", "rotator", "--expires", "1y", "--bits", "2048"])
        #expect(made.output.contains("pending, 2048-bit RSA"), "\(made)")
        #expect(made.output.contains("cert activate rotator"))

        // Not uploaded yet: the sign-in is refused and the certificate stays pending.
        let early = try await sandbox.runAsync(["cert", "activate", "rotator", "--wait", "1"])
        #expect(early.exitStatus == 1, "\(early)")
        #expect(early.errorOutput.contains("AADSTS700027"), "\(early)")
        Sandbox.expectOneLineError(early)
        #expect(try world.certificates().first?["state"] as? String == "pending")
        // Nor can a rotation use it meanwhile: the rotator has no current credential.
        let blocked = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(blocked.exitStatus != 0 && blocked.output.contains("rotator"), "\(blocked)")

        try await world.uploadPending()
        let entraKey = try #require(await world.emulator.certificates(ofApp: world.rotatorID).first?.keyID)
        let activated = try await sandbox.succeedAsync(["cert", "activate", "rotator", "--entra-key-id", entraKey])
        #expect(activated.output.contains("is current (token issued by"), "\(activated)")
        let shown = try #require(try world.certificates().first)
        #expect(shown["state"] as? String == "current")
        #expect(shown["keyID"] as? String == entraKey)

        let rotated = try await sandbox.succeedAsync(["rotate", "jamf"])
        #expect(rotated.output.contains("1 app(s): 1 done"), "\(rotated)")
        let atIssuer = await world.emulator.secrets(ofApp: world.jamfID)
        #expect(atIssuer.count == 2)
        let delivered = try #require(try? String(contentsOfFile: world.consumerFile, encoding: .utf8))
        #expect(atIssuer.contains { $0.value == delivered })
        // The rotator signed in with its certificate, and has no secret to sign in with.
        #expect(await world.emulator.certificates(ofApp: world.rotatorID).first?.lastSignIn != nil)
        #expect(await world.emulator.secrets(ofApp: world.rotatorID).isEmpty)

        // The private key never showed: not in any output, argument or the audit log.
        let exported = sandbox.directory.path("rotator-key.pem")
        try sandbox.succeed(["cert", "export", "rotator", "--key-id", entraKey, "--output", exported])
        let keyText = try String(contentsOfFile: exported, encoding: .utf8)
        let keyLines = keyText.components(separatedBy: "-----BEGIN PRIVATE KEY-----").last?
            .split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 32 }.map(String.init) ?? []
        #expect(keyLines.count > 20)
        let attributes = try FileManager.default.attributesOfItem(atPath: exported)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let log = try sandbox.succeed(["log"])
        #expect(log.output.contains("certificate.export") && log.output.contains("certificate.activate"))
        for line in keyLines { sandbox.expectNoLeak(of: line) }
    }

    @Test("the rotator rolls its own certificate with addKey and removeKey, twice, the old one removed only after the overlap")
    func selfRotation() async throws {
        let world = try await World.make("cert-self-rotation")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        // To find its own object id and list its own keys, the rotator owns itself.
        await world.emulator.registerApplication(
            appID: world.rotatorID, displayName: "secrets rotator", owners: [world.rotatorID], roles: ["Application.ReadWrite.OwnedBy"])
        try sandbox.succeed(["cert", "new", "rotator", "--expires", "1y", "--bits", "2048"])
        try await world.uploadPending()
        try await sandbox.succeedAsync(["cert", "activate", "rotator"])
        let first = try #require(try world.certificates().first { $0["state"] as? String == "current" }?["keyID"] as? String)
        // Entra ID with no rotator: the app rolls its own certificate. A year's certificates with
        // 3 s of overlap; `--force` stands in for the year passing.
        try sandbox.succeed(["app", "edit", "rotator", "--issuer", "entra-id", "--lifetime", "1y", "--overlap", "3s"])

        let plan = try await sandbox.succeedAsync(["rotate", "rotator", "--force", "--dry-run"])
        #expect(plan.output.contains("create a new key pair and certificate and add it at entra-id (addKey"), "\(plan)")
        let rolled = try await sandbox.succeedAsync(["rotate", "rotator", "--force"])
        #expect(rolled.output.contains("1 app(s): 1 done"), "\(rolled)")
        var atIssuer = await world.emulator.certificates(ofApp: world.rotatorID)
        let second = try #require(try world.certificates().first { $0["state"] as? String == "current" }?["keyID"] as? String)
        #expect(second != first)
        #expect(Set(atIssuer.map(\.keyID)) == [first, second], "the old certificate stays during the overlap")
        #expect(await world.emulator.secrets(ofApp: world.rotatorID).isEmpty, "no secret was ever made")
        #expect(try world.certificates().first { $0["keyID"] as? String == first }?["state"] as? String == "previous")

        // The new certificate signs the rotator in: the Jamf app rotates with it.
        try await sandbox.succeedAsync(["rotate", "jamf"])
        #expect(await world.emulator.certificates(ofApp: world.rotatorID).first { $0.keyID == second }?.lastSignIn != nil)

        // After the overlap, the next run removes the first certificate (the proof signed by the
        // second) and rolls again; the second stays for its own overlap.
        try await Task.sleep(for: .seconds(4))
        let again = try await sandbox.succeedAsync(["rotate", "rotator", "--force"], environment: ["SECRETS_LOG_LEVEL": "trace"])
        #expect(again.output.contains("1 app(s): 1 done"), "\(again)")
        atIssuer = await world.emulator.certificates(ofApp: world.rotatorID)
        let third = try #require(try world.certificates().first { $0["state"] as? String == "current" }?["keyID"] as? String)
        #expect(Set(atIssuer.map(\.keyID)) == [second, third], "\(atIssuer.map(\.keyID))")
        #expect(try world.certificates().first { $0["keyID"] as? String == first }?["state"] as? String == "retired")
        #expect(try sandbox.succeed(["verify"]).succeeded)

        // The key made by the run logged at trace level shows in none of its output.
        let exported = sandbox.directory.path("third.pem")
        try sandbox.succeed(["cert", "export", "rotator", "--key-id", third, "--output", exported])
        let keyLines = try String(contentsOfFile: exported, encoding: .utf8).components(separatedBy: "-----BEGIN PRIVATE KEY-----").last?
            .split(separator: "\n").filter { !$0.hasPrefix("-----") && $0.count >= 32 }.map(String.init) ?? []
        #expect(keyLines.count > 20)
        #expect(!again.errorOutput.isEmpty, "trace logging wrote nothing")
        for line in keyLines { sandbox.expectNoLeak(of: line) }
    }

    @Test("a certificate the vault knows under the key ID cert new made up is still removed at Entra ID, found by its thumbprint")
    func madeUpKeyIDRemovedByThumbprint() async throws {
        let world = try await World.make("cert-made-up-key")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        try sandbox.succeed(["cert", "new", "rotator", "--expires", "1y", "--bits", "2048"])
        try await world.uploadPending()
        // It cannot read itself yet: activation keeps the made-up key ID and says so.
        let activated = try await sandbox.succeedAsync(["cert", "activate", "rotator"])
        #expect(activated.errorOutput.contains("--entra-key-id"), "\(activated)")
        let madeUp = try #require(try world.certificates().first?["keyID"] as? String)
        let entraKey = try #require(await world.emulator.certificates(ofApp: world.rotatorID).first?.keyID)
        #expect(madeUp != entraKey)

        await world.emulator.registerApplication(
            appID: world.rotatorID, displayName: "secrets rotator", owners: [world.rotatorID], roles: ["Application.ReadWrite.OwnedBy"])
        try sandbox.succeed(["app", "edit", "rotator", "--issuer", "entra-id", "--lifetime", "1y", "--overlap", "0s"])
        try await sandbox.succeedAsync(["rotate", "rotator", "--force"])
        // The next run retires the first certificate: at Entra ID too, under its real key ID.
        try await sandbox.succeedAsync(["rotate", "rotator"])
        let atIssuer = Set(await world.emulator.certificates(ofApp: world.rotatorID).map(\.keyID))
        #expect(!atIssuer.contains(entraKey), "the first certificate was marked retired but is still at Entra ID")
        #expect(try world.certificates().first { $0["keyID"] as? String == madeUp }?["state"] as? String == "retired")
        #expect(atIssuer.count == 1)
    }
}

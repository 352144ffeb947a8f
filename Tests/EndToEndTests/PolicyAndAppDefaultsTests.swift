import Emulators
import Foundation
import ProcessHarness
import Testing

/// Issue 13, what an admin sees from the command line: Graph's policy refusals told truthfully
/// and closed, the issuer implied by the flags given to `app add`/`app edit`, and the secret
/// description in the display name Graph records.
@Suite("policy refusals, app defaults and the secret description", .serialized)
struct PolicyAndAppDefaultsTests {
    typealias World = EntraRotationTests.World
    static let tenant = ["--tenant", "contoso.onmicrosoft.com"]

    /// `rotate --due --dry-run --json`'s unfinished rotations of `label`.
    static func resumes(_ sandbox: Sandbox, of label: String) async throws -> [[String: Any]] {
        let plan = try await sandbox.succeedAsync(["rotate", "--all", "--dry-run", "--json"])
        let object = try JSONSerialization.jsonObject(with: plan.standardOutput) as? [String: Any]
        let apps = object?["dryRun"] as? [[String: Any]] ?? []
        return apps.first { $0["label"] as? String == label }?["resume"] as? [[String: Any]] ?? []
    }

    @Test("a policy forbidding passwords fails the app once, says what to do, and closes the rotation")
    func passwordsForbidden() async throws {
        let world = try await World.make("policy-nopw")
        defer { Task { await world.finish() } }
        await world.emulator.forbidPasswords(appID: world.jamfID)

        let first = try await world.sandbox.runAsync(["rotate", "jamf"])
        #expect(first.exitStatus == 1, "\(first)")
        let text = first.output + first.errorOutput
        #expect(text.contains("the issuer's policy rejected the request"), "\(first)")
        #expect(text.contains("forbids client secrets"), "\(first)")
        #expect(text.contains("CredentialTypeNotAllowedAsPerAppPolicy"), "\(first)")
        #expect(text.contains("certificate credentials") && text.contains("exemption"), "\(first)")
        #expect(!text.contains("may have created a secret"), "a definitive refusal is not an ambiguous one: \(first)")
        // Closed: nothing to resume, so the next run does not retry it as unfinished.
        #expect(try await Self.resumes(world.sandbox, of: "jamf").isEmpty)
        #expect(await world.emulator.requests().filter { $0.operation == .addPassword }.count == 1)
        #expect(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID) == [world.oldKey])
        #expect(try world.currentKey() == world.oldKey)
    }

    @Test("a lifetime policy's refusal says the policy caps the lifetime and how to shorten the app's")
    func lifetimeCapped() async throws {
        let world = try await World.make("policy-lifetime")
        defer { Task { await world.finish() } }
        await world.emulator.setMaxLifetime(90 * 86_400)
        let result = try await world.sandbox.runAsync(["rotate", "jamf"])
        #expect(result.exitStatus == 1, "\(result)")
        let text = result.output + result.errorOutput
        #expect(text.contains("caps the lifetime"), "\(result)")
        #expect(text.contains("180 days"), "\(result)")
        #expect(text.contains("secrets app edit jamf --lifetime"), "\(result)")
        #expect(try await Self.resumes(world.sandbox, of: "jamf").isEmpty)
        // Shortened as told, it works.
        try world.sandbox.succeed(["app", "edit", "jamf", "--lifetime", "90d"])
        let rotated = try await world.sandbox.succeedAsync(["rotate", "jamf"])
        #expect(rotated.output.contains("1 done"), "\(rotated)")
    }

    @Test("--lifetime beyond 730d names Graph's two-year default, not a portal limit")
    func lifetimeWording() throws {
        let sandbox = try Sandbox("lifetime-wording")
        defer { sandbox.remove() }
        try sandbox.initVault()
        let result = try sandbox.fail(
            ["app", "add", "long", "--app-id", Sandbox.guid(), "--lifetime", "800d"] + Self.tenant, status: 64, mentioning: "--lifetime")
        #expect(result.errorOutput.contains("two years") && !result.errorOutput.contains("Entra ID allows"), "\(result)")
    }

    @Test("app add: --rotator implies entra-id, the Jamf Pro flags jamf-pro-api-client, nothing manual; conflicts exit 64")
    func issuerDefaults() throws {
        let sandbox = try Sandbox("app-defaults")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("rotator")
        func issuer(_ label: String) throws -> String? {
            let shown = try sandbox.succeed(["app", "show", label, "--json"])
            return (try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any])?["issuer"] as? String
        }
        try sandbox.succeed(["app", "add", "by-rotator", "--app-id", Sandbox.guid(), "--rotator", "rotator"] + Self.tenant)
        #expect(try issuer("by-rotator") == "entra-id")
        try sandbox.succeed(["app", "add", "api", "--app-id", Sandbox.guid(), "--jamf-url", "https://j.jamfcloud.com", "--jamf-integration-id", "7"] + Self.tenant)
        #expect(try issuer("api") == "jamf-pro-api-client")
        try sandbox.succeed(["app", "add", "api-rotated", "--app-id", Sandbox.guid(), "--rotator", "rotator",
                             "--jamf-url", "https://j.jamfcloud.com", "--jamf-integration-id", "8"] + Self.tenant)
        #expect(try issuer("api-rotated") == "jamf-pro-api-client")
        try sandbox.succeed(["app", "add", "plain", "--app-id", Sandbox.guid()] + Self.tenant)
        #expect(try issuer("plain") == "manual")

        try sandbox.fail(["app", "add", "x1", "--app-id", Sandbox.guid(), "--issuer", "manual", "--rotator", "rotator"] + Self.tenant,
                         status: 64, mentioning: "--rotator")
        try sandbox.fail(["app", "add", "x2", "--app-id", Sandbox.guid(), "--issuer", "entra-id",
                          "--jamf-url", "https://j.jamfcloud.com", "--jamf-integration-id", "7"] + Self.tenant,
                         status: 64, mentioning: "--jamf-url")
        #expect(try sandbox.run(["app", "show", "x1"]).exitStatus == 66, "a refused add stores nothing")

        // edit: a manual app given a rotator becomes entra-id; an entra-id app is not switched by a Jamf flag.
        try sandbox.succeed(["app", "edit", "plain", "--rotator", "rotator"])
        #expect(try issuer("plain") == "entra-id")
        try sandbox.fail(["app", "edit", "plain", "--jamf-url", "https://j.jamfcloud.com", "--jamf-integration-id", "7"],
                         status: 64, mentioning: "--issuer jamf-pro-api-client")
        #expect(try issuer("plain") == "entra-id")

        let help = try sandbox.succeed(["app", "add", "--help"])
        #expect(help.output.contains("else manual"), "\(help)")
    }

    @Test("--secret-description goes into the display name after the marker; it is validated and can be cleared")
    func secretDescription() async throws {
        let world = try await World.make("secret-description")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let description = "Jamf Pro Intune (prod)"
        try sandbox.succeed(["app", "edit", "jamf", "--secret-description", description])
        let shown = try sandbox.succeed(["app", "show", "jamf", "--json"])
        #expect((try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any])?["secretDescription"] as? String == description)

        try await sandbox.succeedAsync(["rotate", "jamf", "--force"])
        let newKey = try world.currentKey()
        let created = try #require(await world.emulator.secrets(ofApp: world.jamfID).first { $0.keyID == newKey })
        let name = try #require(created.displayName)
        #expect(name.hasPrefix("secrets:") && name.hasSuffix(" " + description), "\(name)")
        let rotationID = String(name.dropFirst("secrets:".count).prefix { $0 != " " })
        #expect(UUID(uuidString: rotationID) != nil, "\(name)")

        // The late-orphan sweep finds a secret by the marker opening its name, whatever follows,
        // and never by a marker quoted later in a name or one that merely starts the same way.
        let late = await world.emulator.addSecret(appID: world.jamfID, value: Sandbox.secretValue(), displayName: name, expires: Date().addingTimeInterval(30 * 86_400))
        let quoting = await world.emulator.addSecret(
            appID: world.jamfID, value: Sandbox.secretValue(), displayName: "made by hand, see secrets:\(rotationID)", expires: Date().addingTimeInterval(30 * 86_400))
        let longer = await world.emulator.addSecret(
            appID: world.jamfID, value: Sandbox.secretValue(), displayName: "secrets:\(rotationID)x other", expires: Date().addingTimeInterval(30 * 86_400))
        try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf", "--yes"])
        let left = Set(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID))
        #expect(!left.contains(late), "the late orphan carrying the marker and the description is removed")
        #expect(left.contains(quoting) && left.contains(longer), "\(left)")
        #expect(left.contains(newKey) && !left.contains(world.oldKey))

        // Validation: Graph shows the name as is, so no control or formatting characters, and a bound.
        try sandbox.fail(["app", "edit", "jamf", "--secret-description", String(repeating: "d", count: 65)],
                         status: 64, mentioning: "--secret-description")
        try sandbox.fail(["app", "edit", "jamf", "--secret-description", "evil\u{1B}[2J"], status: 64, mentioning: "--secret-description")
        try sandbox.fail(["app", "edit", "jamf", "--secret-description", "rtl\u{202E}txt"], status: 64, mentioning: "--secret-description")
        try sandbox.fail(["app", "edit", "jamf", "--secret-description", " padded"], status: 64, mentioning: "--secret-description")
        try sandbox.succeed(["app", "edit", "jamf", "--secret-description", ""])
        let cleared = try sandbox.succeed(["app", "show", "jamf", "--json"])
        #expect((try JSONSerialization.jsonObject(with: cleared.standardOutput) as? [String: Any])?["secretDescription"] == nil)
        try await sandbox.succeedAsync(["verify"])
    }
}

import Emulators
import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Several `secrets` processes writing one vault at once wait for one another instead of
/// failing or losing writes.
@Suite("Concurrent writers")
struct ConcurrencyTests {
    static let writers = 8
    static let addsPerWriter = 50

    /// One failed or odd run, for the message.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ item: String) { lock.withLock { items.append(item) } }
        var all: [String] { lock.withLock { items } }
    }

    @Test("8 writers × 50 secret adds: all succeed, all 400 are stored, the vault verifies", arguments: VaultStore.all)
    func parallelWriters(_ store: VaultStore) throws {
        let sandbox = try Sandbox("concurrency", store: store)
        defer { sandbox.remove() }
        try sandbox.initVault()
        for writer in 0..<Self.writers { try sandbox.addApp("app-\(writer)") }

        let failures = Failures()
        let group = DispatchGroup()
        let start = Date()
        // Each writer is a thread that runs its adds one after another; all writers start at once.
        for writer in 0..<Self.writers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for index in 0..<Self.addsPerWriter {
                    let arguments = ["secret", "add", "app-\(writer)", "--expires", "90d", "--key-id", Sandbox.guid()]
                    do {
                        let result = try sandbox.run(arguments, stdin: Data("value-\(writer)-\(index)-\(UUID().uuidString)".utf8))
                        if !result.succeeded { failures.add("\(result)") }
                    } catch {
                        failures.add("writer \(writer), add \(index): \(error)")
                    }
                }
            }
        }
        let finished = group.wait(timeout: .now() + 600)
        let elapsed = Date().timeIntervalSince(start)
        print("ConcurrencyTests: \(Self.writers * Self.addsPerWriter) secret adds by \(Self.writers) concurrent writers took \(String(format: "%.1f", elapsed)) s")
        try #require(finished == .success, "the writers did not finish within 600 s")
        #expect(failures.all.isEmpty, "\(failures.all.count) adds failed; first: \(failures.all.prefix(3))")

        var expected: [String: Set<String>] = [:]
        for result in sandbox.results where result.arguments.starts(with: ["secret", "add"]) {
            expected[result.arguments[2], default: []].insert(result.arguments[6])
        }
        var total = 0
        for writer in 0..<Self.writers {
            let app = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "app-\(writer)", "--json"]))
            let credentials = app.credentials ?? []
            #expect(credentials.count == Self.addsPerWriter, "app-\(writer) holds \(credentials.count) credentials")
            #expect(Set(credentials.map(\.keyId)) == expected["app-\(writer)"], "app-\(writer) holds other key IDs than were added")
            #expect(credentials.filter { $0.state == "current" }.count == 1, "app-\(writer) must have exactly one current secret")
            total += credentials.count
        }
        #expect(total == Self.writers * Self.addsPerWriter)

        let verified = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"]))
        #expect(verified.problems.isEmpty)
        #expect(verified.checked["credentials"] == Self.writers * Self.addsPerWriter)
        #expect(verified.secretValuesChecked == Self.writers * Self.addsPerWriter)
    }
}

/// Issue 19, finding 1: commands that replace the data keys or remove or rewrite apps, run while
/// `rotate --due` is half-way through a rotation (the emulators answer slowly, so the racer
/// starts while a Jamf Pro API client is being regenerated and an Entra ID secret created).
/// Under every interleaving: no issued secret is lost (the vault's current value works at the
/// issuer), no orphan is left at the issuer after the next run, no false "tampered" message
/// and no raw SQLite error.
@Suite("Rotation races", .serialized)
struct RotationRaceTests {
    /// A command raced against `rotate --due`.
    struct Racer: Sendable, CustomStringConvertible {
        let description: String
        /// The racer's arguments, given the world.
        let arguments: @Sendable (RaceWorld) throws -> [String]
        /// The app it removes, whose secrets are no longer the vault's to check.
        var removes: String?

        static let all: [Racer] = [
            Racer(description: "rekey") { _ in ["rekey"] },
            Racer(description: "recipients remove --rekey") { world in ["recipients", "remove", world.secondAdmin, "--rekey"] },
            Racer(description: "recipients remove") { world in ["recipients", "remove", world.secondAdmin] },
            Racer(description: "app remove", arguments: { _ in ["app", "remove", "entra-app", "--yes"] }, removes: "entra-app"),
            Racer(description: "app edit") { _ in ["app", "edit", "jamf-api", "--notes", "edited during a rotation"] },
            Racer(description: "import --from-azure") { world in ["import", "--from-azure", world.azureFile, "--tenant", RaceWorld.tenant] },
        ]
    }

    @Test("rotate --due racing another command: no secret lost, no orphan, no false tamper message", arguments: Racer.all)
    func race(_ racer: Racer) async throws {
        let world = try await RaceWorld.make("race-\(racer.description.replacingOccurrences(of: " ", with: "-"))")
        defer { world.sandbox.remove() }
        await world.slowDown()
        let rotation = Task { try await world.sandbox.runAsync(["rotate", "--due"]) }
        // The rotation takes the lock within a second; the first answers come after 1.5 s.
        try await Task.sleep(for: .milliseconds(2200))
        let raced = try await world.sandbox.runAsync(try racer.arguments(world))
        let rotated = try await rotation.value
        await world.speedUp()

        for result in [rotated, raced] {
            #expect(!result.output.contains("tampered") && !result.errorOutput.contains("tampered"), "\(result)")
            #expect(!result.errorOutput.contains("SQLite"), "a raw SQLite error reached the user: \(result)")
        }
        // The racer waits for the rotation's lock rather than cutting into it.
        #expect(raced.exitStatus == 0, "\(raced)")
        #expect(rotated.exitStatus == 0, "\(rotated)")
        try await world.expectNothingLost(except: racer.removes)

        // The next run leaves no secret of this vault's rotations at the issuer that the vault does not hold.
        try await world.sandbox.succeedAsync(["rotate", "--due"])
        try await world.expectNothingLost(except: racer.removes)
        try await world.expectNoOrphans(except: racer.removes)
        try await world.sandbox.succeedAsync(["verify"])
    }
}

/// Two emulators and a vault with a rotator (not due), an Entra ID app and a Jamf Pro API
/// client (both due).
struct RaceWorld: Sendable {
    static let tenant = "contoso.onmicrosoft.com"
    let sandbox: Sandbox
    let entra: EntraEmulator
    let jamf: JamfProEmulator
    let entraAppID: String
    /// A second admin's recipient, for `recipients remove`.
    let secondAdmin: String
    /// `az ad app list` JSON with one new app, for `import --from-azure`.
    let azureFile: String

    static func make(_ name: String) async throws -> RaceWorld {
        let entra = EntraEmulator()
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        let jamf = JamfProEmulator()
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox(name)
        sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL])
        let rotatorID = Sandbox.guid(), entraAppID = Sandbox.guid(), apiClientID = Sandbox.guid()
        let rotatorSecret = Sandbox.secretValue(), entraSecret = Sandbox.secretValue(), apiSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        await entra.registerApplication(appID: entraAppID, displayName: "entra-app", owners: [rotatorID])
        let entraKey = await entra.addSecret(appID: entraAppID, value: entraSecret, expires: Date().addingTimeInterval(10 * 86_400))
        await jamf.registerAPIClient(clientID: apiClientID, secret: apiSecret, integrationID: "7")

        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", tenant])
        try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
        try sandbox.succeed(["app", "add", "entra-app", "--app-id", entraAppID, "--tenant", tenant, "--issuer", "entra-id", "--rotator", "rotator"])
        try sandbox.addSecret("entra-app", value: entraSecret, expires: "10d", options: ["--key-id", entraKey])
        try sandbox.succeed([
            "app", "add", "jamf-api", "--app-id", apiClientID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "7",
        ])
        try sandbox.addSecret("jamf-api", value: apiSecret, expires: "10d")
        let secondAdmin = try Tools.generateKey(at: sandbox.directory.path("second-admin.txt"))
        try sandbox.succeed(["recipients", "add", secondAdmin, "--role", "admin", "--name", "second"])
        // Its secret lasts for years, so the next `rotate --due` leaves it alone.
        let azureFile = try sandbox.directory.write("""
            [{"appId": "\(Sandbox.guid())", "displayName": "from-azure", "passwordCredentials": [{"keyId": "\(Sandbox.guid())", \
            "hint": "Zq1", "displayName": "portal", "endDateTime": "2036-01-01T00:00:00Z", "startDateTime": "2026-01-01T00:00:00Z", \
            "secretText": null}]}]
            """, to: "azure.json")
        return RaceWorld(
            sandbox: sandbox, entra: entra, jamf: jamf, entraAppID: entraAppID, secondAdmin: secondAdmin, azureFile: azureFile)
    }

    /// Every answer of both emulators takes 1.5 s, so a rotation takes several seconds.
    func slowDown() async {
        await entra.setLatency(.milliseconds(1500))
        await jamf.setLatency(1.5)
    }

    func speedUp() async {
        await entra.setLatency(.zero)
        await jamf.setLatency(0)
    }

    /// The vault's current secret of each app (but `removed`) is the one the issuer accepts.
    func expectNothingLost(except removed: String?, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let jamfSecret = try await sandbox.succeedAsync(["secret", "get", "jamf-api"]).output
        #expect(await jamf.apiClientSecret(integrationID: "7") == jamfSecret,
                "the vault lost the Jamf Pro API client's new secret", sourceLocation: sourceLocation)
        if removed != "entra-app" {
            let entraSecret = try await sandbox.succeedAsync(["secret", "get", "entra-app"]).output
            #expect(await entra.accepts(appID: entraAppID, secret: entraSecret),
                    "the vault's current Entra ID secret does not work at Entra ID", sourceLocation: sourceLocation)
        }
    }

    /// Every secret at Entra ID marked by one of this vault's rotations is one the vault holds.
    func expectNoOrphans(except removed: String?, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard removed != "entra-app" else { return }
        let app = try sandbox.decode(AppJSON.self, from: try await sandbox.succeedAsync(["app", "show", "entra-app", "--json"]))
        let known = Set((app.credentials ?? []).map { $0.keyId.lowercased() })
        for secret in await entra.secrets(ofApp: entraAppID) where secret.displayName?.hasPrefix("secrets:") == true {
            #expect(known.contains(secret.keyID.lowercased()), "orphan at Entra ID: \(secret.keyID) \(secret.displayName ?? "")",
                    sourceLocation: sourceLocation)
        }
    }
}

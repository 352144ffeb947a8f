import Emulators
import Foundation
import ProcessHarness
import Testing

/// Issue 19, findings 4–6: an issuer or a consumer's server answers values no person would type.
/// The built binary must refuse them before anything is stored, printed, handed to a hook or
/// written, fail that app's rotation in one clear line, and leave no orphaned secret at the issuer
/// once the next run has gone by.
@Suite("Hostile values from Graph and Jamf Pro", .serialized)
struct HostileValueTests {
    /// One hostile `addPassword` answer and what must never show up anywhere afterwards.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let answer: @Sendable (_ oldKey: String) -> HostileAnswer
        /// Text that must not appear in any output, the log, the Prometheus file or a hook's stdin.
        let forbidden: [String]
        /// Text that must not appear in what the vault shows afterwards (`list`, `expiring`); the
        /// refusal itself may name it (a date the issuer sent, formatted by us).
        var forbiddenInVault: [String] = []
        var testDescription: String { name }
    }

    static let escape = "\u{1B}]52;c;SGVsbG8=\u{07}"

    static let cases: [Case] = [
        Case(name: "key id that is not a GUID, with an OSC 52 clipboard write", answer: { _ in HostileAnswer(keyID: "not-a-guid" + escape) },
             forbidden: ["not-a-guid", "\u{1B}"]),
        Case(name: "key id with a newline that forges a log line and a Prometheus series",
             answer: { _ in HostileAnswer(keyID: "00000000-0000-0000-0000-000000000000\"} 1\nsecrets_forged{x=\"1") },
             forbidden: ["secrets_forged", "00000000-0000-0000-0000-000000000000"]),
        Case(name: "key id with a path component", answer: { _ in HostileAnswer(keyID: "../../etc/cron.d/x") }, forbidden: ["cron.d"]),
        Case(name: "secret with a NUL", answer: { _ in HostileAnswer(secretText: "abcdefgh\u{0}ijklmnopqrstuvwxyz") }, forbidden: ["ijklmnop"]),
        Case(name: "secret with escape codes", answer: { _ in HostileAnswer(secretText: "\u{1B}[2J\u{1B}]0;owned\u{07}abcdefghijklmnop") },
             forbidden: ["\u{1B}", "owned"]),
        Case(name: "secret longer than 4096 bytes", answer: { _ in HostileAnswer(secretTextLength: 5000) }, forbidden: ["AAAAAAAAAAAAAAAA"]),
        Case(name: "end date in year 9999", answer: { _ in HostileAnswer(endDateTime: "9999-12-31T23:59:59Z") }, forbidden: [],
             forbiddenInVault: ["9999-12-31", "29121"]),
        Case(name: "end date in year 0001", answer: { _ in HostileAnswer(endDateTime: "0001-01-01T00:00:00Z") }, forbidden: [],
             forbiddenInVault: ["0001-01-01"]),
        Case(name: "start date in year 0001", answer: { _ in HostileAnswer(startDateTime: "0001-01-01T00:00:00Z") }, forbidden: [],
             forbiddenInVault: ["0001-01-01"]),
        Case(name: "an end date that is not a date", answer: { _ in HostileAnswer(endDateTime: "tomorrow\u{1B}[2J") }, forbidden: ["tomorrow"]),
        Case(name: "a key id the vault already holds (the current one)", answer: { oldKey in HostileAnswer(keyID: oldKey) }, forbidden: []),
    ]

    @Test("a hostile addPassword answer fails the rotation, leaves nothing behind, and the next run is clean", arguments: cases)
    func hostileAddPasswordAnswer(_ hostile: Case) async throws {
        let world = try await EntraRotationTests.World.make("hostile-value")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        await world.emulator.answerNextAddPassword(with: hostile.answer(world.oldKey))

        let rotated = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(rotated.exitStatus == 1, "\(rotated)")
        #expect(rotated.output.contains("the issuer's answer was refused"), "\(rotated)")
        Sandbox.expectOneLineError(rotated)
        #expect(rotated.errorOutput.contains("rotation failed for 1 app(s): jamf"), "\(rotated)")
        // The hook never ran: nothing unvalidated reached its stdin.
        #expect(world.consumerHolds() == nil, "the apply hook got: \(world.consumerHolds() ?? "")")
        // The vault still holds exactly the old key, current.
        let shown = try JSONSerialization.jsonObject(with: try await sandbox.succeedAsync(["app", "show", "jamf", "--json"]).standardOutput) as? [String: Any]
        let credentials = shown?["credentials"] as? [[String: Any]] ?? []
        #expect(credentials.count == 1 && credentials.first?["keyId"] as? String == world.oldKey, "\(credentials)")
        #expect(credentials.first?["state"] as? String == "current")
        // The refusal is in the audit log, as one row.
        let log = try await sandbox.succeedAsync(["log", "--app", "jamf"])
        #expect(log.output.contains("rotation.reject"), "\(log)")
        // No orphan at the issuer now: the secret the emulator made for this rotation was swept.
        #expect(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID) == [world.oldKey])

        // Every output channel after the run, and the run itself.
        let list = try await sandbox.succeedAsync(["list"])
        let listJSON = try await sandbox.succeedAsync(["list", "--json"])
        let prometheus = try await sandbox.runAsync(["expiring", "--days", "400", "--format", "prometheus"])
        let dryRun = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run", "--json"])
        for result in [rotated, log, list, listJSON, prometheus, dryRun] {
            let vaultView = [list, listJSON, prometheus, dryRun].contains { $0.command == result.command }
            for text in hostile.forbidden + (vaultView ? hostile.forbiddenInVault : []) {
                #expect(!result.output.contains(text) && !result.errorOutput.contains(text), "`\(result.command)` shows \(text.debugDescription): \(result)")
            }
            #expect(!result.output.contains("\u{1B}") && !result.errorOutput.contains("\u{1B}"), "`\(result.command)` printed ESC: \(result)")
        }
        Self.expectWellFormedPrometheus(prometheus.output)
        // The vault exports, and the export imports into another vault (import refuses what the gate refuses).
        let keyFile = sandbox.directory.path("key.txt")
        let exportFile = sandbox.directory.path("export.age")
        try await sandbox.succeedAsync(["export", "--recipient", try Tools.generateKey(at: keyFile), "-o", exportFile])
        let target = try Sandbox("hostile-value-import")
        defer { target.remove() }
        try target.initVault()
        let imported = try await target.runAsync(["import", exportFile, "--decrypt-identity", keyFile, "--from-other-vault", "--allow-actions"])
        #expect(imported.succeeded, "\(imported)")

        // The next run rotates normally, and the issuer then holds exactly what the vault knows.
        let again = try await sandbox.succeedAsync(["rotate", "jamf"])
        #expect(again.output.contains("1 done"), "\(again)")
        let newKey = try world.currentKey()
        #expect(newKey != world.oldKey)
        #expect(Set(await world.emulator.secrets(ofApp: world.jamfID).map(\.keyID)) == [world.oldKey, newKey])
        try await sandbox.succeedAsync(["verify"])
    }

    @Test("a display name with escape codes is stored and shown neutralised; the rotation goes on")
    func hostileDisplayName() async throws {
        let world = try await EntraRotationTests.World.make("hostile-display-name")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        await world.emulator.answerNextAddPassword(with: HostileAnswer(displayName: "secrets:x" + Self.escape + "\nforged"))
        let rotated = try await sandbox.succeedAsync(["rotate", "jamf"])
        let shown = try await sandbox.succeedAsync(["app", "show", "jamf", "--json"])
        let object = try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any]
        let names = (object?["credentials"] as? [[String: Any]] ?? []).compactMap { $0["displayName"] as? String }
        // Stored already escaped: JSON readers get no control character either.
        #expect(names.contains { $0.hasPrefix("secrets:x\\u{1B}]52") }, "\(names)")
        #expect(!names.contains { $0.unicodeScalars.contains { $0.value < 0x20 } }, "\(names)")
        for result in [rotated, shown, try await sandbox.succeedAsync(["app", "show", "jamf"])] {
            #expect(!result.output.contains("\u{1B}") && !result.output.contains("\nforged"), "\(result)")
        }
    }

    @Test("a Graph error message with escape codes is quoted neutralised in the output, the diagnostic log and the journal")
    func hostileGraphErrorMessage() async throws {
        let world = try await EntraRotationTests.World.make("hostile-graph-error")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        await world.emulator.answerNextAddPassword(
            with: HostileAnswer(errorStatus: 403, errorCode: "Denied" + Self.escape, errorMessage: "no" + Self.escape + "\u{9B}31m"))
        // With the diagnostic log on: its lines (swift-log's stream handler) escape nothing themselves.
        let rotated = try await sandbox.runAsync(["rotate", "jamf"], environment: ["SECRETS_LOG_LEVEL": "trace"])
        #expect(rotated.exitStatus == 1, "\(rotated)")
        #expect(rotated.output.contains("\\u{1B}]52"), "the message should be quoted, escaped: \(rotated)")
        let plan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run", "--json"])
        let log = try await sandbox.succeedAsync(["log", "--json"])
        for result in [rotated, plan, log] {
            #expect(!result.output.contains("\u{1B}") && !result.errorOutput.contains("\u{1B}") && !result.output.contains("\u{9B}"), "\(result)")
        }
    }

    @Test("a Jamf Pro API-client regeneration answer with a hostile secret is refused; the next run regenerates and stores a good one")
    func hostileRegenerationAnswer() async throws {
        let jamf = JamfProEmulator()
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox("hostile-regeneration")
        defer { sandbox.remove() }
        // A rotator client regenerates jamf-api's secret: a client that authenticates as itself
        // could not ask again once a refused answer killed its old secret.
        let clientID = Sandbox.guid(), oldSecret = Sandbox.secretValue(), rotatorID = Sandbox.guid(), rotatorSecret = Sandbox.secretValue()
        await jamf.registerAPIClient(clientID: clientID, secret: oldSecret, integrationID: "7")
        await jamf.registerAPIClient(clientID: rotatorID, secret: rotatorSecret, integrationID: "8")
        try sandbox.initVault()
        try sandbox.succeed([
            "app", "add", "jamf-admin", "--app-id", rotatorID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "8",
        ])
        _ = try sandbox.addSecret("jamf-admin", value: rotatorSecret, expires: "90d")
        try sandbox.succeed([
            "app", "add", "jamf-api", "--app-id", clientID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "7", "--rotator", "jamf-admin",
        ])
        _ = try sandbox.addSecret("jamf-api", value: oldSecret, expires: "90d")
        for hostile in [
            JamfProEmulator.HostileRegeneration(clientSecret: "\u{1B}]52;c;SGVsbG8=\u{07}abcdefghijklmnop"),
            JamfProEmulator.HostileRegeneration(clientSecretLength: 5000),
        ] {
            await jamf.answerNextRegeneration(with: hostile)
            let rotated = try await sandbox.runAsync(["rotate", "jamf-api", "--force"])
            #expect(rotated.exitStatus == 1, "\(rotated)")
            #expect(rotated.output.contains("the issuer's answer was refused"), "\(rotated)")
            #expect(rotated.output.contains("run `secrets rotate jamf-api` again now"), "\(rotated)")
            #expect(!rotated.output.contains("\u{1B}") && !rotated.output.contains("AAAAAAAAAAAAAAAA"), "\(rotated)")
            Sandbox.expectOneLineError(rotated)
            let shown = try await sandbox.succeedAsync(["app", "show", "jamf-api", "--json"])
            let credentials = (try JSONSerialization.jsonObject(with: shown.standardOutput) as? [String: Any])?["credentials"] as? [[String: Any]]
            #expect(credentials?.filter { $0["state"] as? String != "retired" }.count == 1, "nothing new was stored: \(shown.output)")
            // The next run asks again (the old secret is dead at Jamf Pro) and stores what Jamf Pro holds.
            let again = try await sandbox.succeedAsync(["rotate", "jamf-api"])
            #expect(again.output.contains("1 done"), "\(again)")
            let stored = try await sandbox.succeedAsync(["secret", "get", "jamf-api"]).output
            #expect(await jamf.apiClientSecret(integrationID: "7") == stored)
        }
        try await sandbox.succeedAsync(["verify"])
        await jamf.stop()
    }

    @Test("a canary in an undocumented state (ERROR_NOT_REPORTED) is not verified: the rotation is undone")
    func undocumentedCanaryState() async throws {
        let entra = EntraEmulator(configuration: .init(replicationDelay: .milliseconds(200)))
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        // The apply command also runs `jamf recon` on the canary: it reports right after each save.
        let jamf = JamfProEmulator(
            configuration: .init(reportOnSave: true), secretValidator: { _, appID, secret in await entra.accepts(appID: appID, secret: secret) })
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox("hostile-canary")
        defer { sandbox.remove() }
        sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL])
        let rotatorID = Sandbox.guid(), intuneID = Sandbox.guid(), apiClientID = Sandbox.guid()
        let rotatorSecret = Sandbox.secretValue(), oldSecret = Sandbox.secretValue(), apiSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        await entra.registerApplication(appID: intuneID, displayName: "Jamf Pro Intune", owners: [rotatorID])
        let oldKey = await entra.addSecret(appID: intuneID, value: oldSecret, expires: Date().addingTimeInterval(12 * 86_400))
        await jamf.registerAPIClient(clientID: apiClientID, secret: apiSecret, integrationID: "7")
        await jamf.addComputer(id: "42", complianceState: "ERROR_NOT_REPORTED\u{1B}[2J", complianceVendor: "Intune\u{1B}]52;c;SGVsbG8=\u{07}")

        let apply = JamfIntuneRotationTests.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamfURL)"
        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", "contoso.onmicrosoft.com"])
        _ = try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
        try sandbox.succeed([
            "app", "add", "jamf-api", "--app-id", apiClientID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "7",
        ])
        _ = try sandbox.addSecret("jamf-api", value: apiSecret, expires: "90d")
        try sandbox.succeed([
            "app", "add", "jamf-intune", "--app-id", intuneID, "--tenant", "contoso.onmicrosoft.com", "--issuer", "entra-id",
            "--rotator", "rotator", "--consumer", "jamf-pro-intune=\(jamfURL)", "--jamf-api-client", "jamf-api", "--jamf-canary", "42",
            "--apply-command", apply,
        ])
        _ = try sandbox.addSecret("jamf-intune", value: oldSecret, expires: "12d", options: ["--key-id", oldKey])
        let initial = try await sandbox.succeedAsync(["jamf", "payload", "jamf-intune", "--reveal"])
        try await JamfIntuneRotationTests.put(initial.standardOutput, to: jamfURL + "/_emulator/intune-integration")

        let rotated = try await sandbox.runAsync(["rotate", "jamf-intune"])
        #expect(rotated.exitStatus == 1, "ERROR_NOT_REPORTED must not verify: \(rotated)")
        #expect(rotated.output.contains("not a reported state"), "\(rotated)")
        #expect(!rotated.output.contains("\u{1B}") && !rotated.errorOutput.contains("\u{1B}"), "\(rotated)")
        Sandbox.expectOneLineError(rotated)
        // Undone: the old secret is current, back in Jamf Pro, and the only one at Entra ID.
        let current = try await sandbox.succeedAsync(["secret", "get", "jamf-intune"]).output
        #expect(current == oldSecret)
        #expect(await jamf.configuredIntegration()?.secret == oldSecret)
        #expect(await entra.secrets(ofApp: intuneID).map(\.keyID) == [oldKey])

        // The documented states count, and a vendor name is shown neutralised.
        await jamf.addComputer(id: "42", complianceState: "NON_COMPLIANT", complianceVendor: "Intune\u{1B}]52;c;SGVsbG8=\u{07}")
        let done = try await sandbox.succeedAsync(["rotate", "jamf-intune"])
        #expect(done.output.contains("NON_COMPLIANT") && done.output.contains("Intune\\u{1B}]52"), "\(done)")
        #expect(!done.output.contains("\u{1B}"), "\(done)")
        await jamf.stop()
        await entra.stop()
    }

    /// Every line of `text` is a comment or a sample `name{labels} value` whose label values hold
    /// no raw newline, quote or control character, and no forged metric names.
    static func expectWellFormedPrometheus(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let names: Set = [
            "secrets_credential_expiry_timestamp_seconds", "secrets_credential_days_left", "secrets_expiring_check_success",
            "secrets_expiring_window_days", "secrets_expiring_last_check_timestamp_seconds",
        ]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            #expect(names.contains(String(name)), "a forged series: \(line)", sourceLocation: sourceLocation)
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "a control character: \(line)", sourceLocation: sourceLocation)
        }
    }
}

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
        Case(name: "end date in year 9999", answer: { _ in HostileAnswer(endDateTime: "9999-12-31T23:59:59Z") }, forbidden: ["9999-12-31"]),
        Case(name: "end date in year 0001", answer: { _ in HostileAnswer(endDateTime: "0001-01-01T00:00:00Z") }, forbidden: ["0001-01-01"]),
        Case(name: "start date in year 0001", answer: { _ in HostileAnswer(startDateTime: "0001-01-01T00:00:00Z") }, forbidden: ["0001-01-01"]),
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
            for text in hostile.forbidden {
                #expect(!result.output.contains(text) && !result.errorOutput.contains(text), "`\(result.command)` shows \(text.debugDescription): \(result)")
            }
            #expect(!result.output.contains("\u{1B}") && !result.errorOutput.contains("\u{1B}"), "`\(result.command)` printed ESC: \(result)")
        }
        Self.expectWellFormedPrometheus(prometheus.output)

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

    @Test("a Graph error message with escape codes is quoted neutralised in the output and the journal")
    func hostileGraphErrorMessage() async throws {
        let world = try await EntraRotationTests.World.make("hostile-graph-error")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        await world.emulator.answerNextAddPassword(
            with: HostileAnswer(errorStatus: 403, errorCode: "Denied" + Self.escape, errorMessage: "no" + Self.escape + "\u{9B}31m"))
        let rotated = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(rotated.exitStatus == 1, "\(rotated)")
        #expect(rotated.output.contains("\\u{1B}]52"), "the message should be quoted, escaped: \(rotated)")
        let plan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run", "--json"])
        let log = try await sandbox.succeedAsync(["log", "--json"])
        for result in [rotated, plan, log] {
            #expect(!result.output.contains("\u{1B}") && !result.errorOutput.contains("\u{1B}") && !result.output.contains("\u{9B}"), "\(result)")
        }
    }

    /// Every line of `text` is a comment or a sample `name{labels} value` whose label values hold
    /// no raw newline, quote or control character, and no forged metric names.
    static func expectWellFormedPrometheus(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let names: Set = [
            "secrets_credential_expiry_timestamp_seconds", "secrets_credential_days_left", "secrets_expiring_window_days",
            "secrets_expiring_last_check_timestamp_seconds",
        ]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            #expect(names.contains(String(name)), "a forged series: \(line)", sourceLocation: sourceLocation)
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "a control character: \(line)", sourceLocation: sourceLocation)
        }
    }
}

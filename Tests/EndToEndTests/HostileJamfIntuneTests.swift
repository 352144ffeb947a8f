import Emulators
import Foundation
import ProcessHarness
import Testing

/// `secrets rotate`, the built binary, rotating an Entra ID app whose consumer is Jamf Pro's
/// Intune integration (an API client, canary computer 42, an apply command), where the Jamf Pro
/// that verify reads is hostile: its token and feature toggle answer normally, then the canary's
/// inventory or compliance read floods, stalls, asks to wait forever or answers values no Jamf
/// Pro sends.
///
/// Each run must end within its bound and under 100 MiB of peak RSS (measured from outside),
/// exit 1 with one clear line naming the app's verify, and never count the app as verified: the
/// rotation is undone (the old secret back in Jamf Pro, current in the vault, and the only one
/// at Entra ID), so the previous secret is never retired on a hostile report. Nothing the server
/// sent reaches the output, the audit log or the vault with a control character in it.
///
/// A gzip bomb there is refused at its headers and never inflated (it was, for 20–30 s and up to
/// 135 MiB, while HTTPTransport ran over URLSession).
@Suite("A hostile Jamf Pro behind the Intune consumer's verify: bounded, never verified, nothing raw kept", .serialized)
struct HostileJamfIntuneTests {
    /// `SECRETS_HTTP_TIMEOUT` for these runs, in seconds.
    static let deadline: TimeInterval = 2
    /// The Entra ID side of the rotation (create, replication, the apply command twice, the
    /// removal of the new secret), process start-up of a debug build and a busy machine.
    static let margin: TimeInterval = 20
    /// Peak RSS allowed: issue 19's bound.
    static let memoryLimit = 100 << 20
    static let canary = EmulatorWorld.canary
    /// An OSC 52 clipboard write and a screen clear.
    static let escape = "\u{1B}]52;c;SGVsbG8=\u{07}\u{1B}[2J"
    /// What a server's newline tries to start a line with.
    static let forged = "HOSTILE-LINE"

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// How the read left to the mode is answered.
        var mode: HostileMode = .redirect
        /// The read answered in `mode` instead of normally, if any.
        var hostilePath: String?
        /// The canary's `general.reportDate`; nil: two minutes from now (after any apply, within
        /// the clock skew allowed).
        var reportDate: String?
        var state = "COMPLIANT"
        var vendor = "Microsoft Intune"
        /// What the failure line must say (for the control case, what stdout must say).
        var expected: String
        /// Extra seconds the retries of this case may take.
        var retries: TimeInterval = 0
        /// Only the control case: a healthy Jamf Pro verifies.
        var verifies = false
        var testDescription: String { name }
        var bound: TimeInterval { HostileJamfIntuneTests.deadline + retries + HostileJamfIntuneTests.margin }
    }

    static let inventory = HostileRoute.inventoryPath(canary)
    static let tenKilobytes = String(repeating: "\(HostileServer.marker) ", count: 10_240 / (HostileServer.marker.count + 1))

    static let cases: [Case] = [
        Case(name: "a healthy Jamf Pro (control): verified", expected: "reports COMPLIANT from Microsoft Intune", verifies: true),
        Case(name: "inventory: 1 GiB body", mode: .hugeBody, hostilePath: inventory, expected: "answered with more than 1 MiB; refusing it"),
        Case(name: "inventory: endless chunks", mode: .endlessChunked, hostilePath: inventory, expected: "answered with more than 1 MiB; refusing it"),
        Case(name: "inventory: gzip bomb", mode: .gzipBomb, hostilePath: inventory,
             expected: "answered with a compressed body (Content-Encoding: gzip) although none was asked for; refusing it"),
        // inf and -1 are no Retry-After (backoffs of 0.5 and 1 s); 99999999999999999 ends the call.
        Case(name: "inventory: Retry-After overflow", mode: .retryAfterOverflow, hostilePath: inventory,
             expected: "asked to wait more than 1000000000 s", retries: 2),
        // Four deadlines and three backoffs: the deadline really interrupts each transfer.
        Case(name: "inventory: one byte a second", mode: .slowDrip, hostilePath: inventory, expected: "no answer within 2 s",
             retries: 3 * deadline + 3.5),
        Case(name: "compliance state: escape codes, a newline, 10 KB", state: "COMPLIANT" + escape + "\n" + forged + tenKilobytes,
             vendor: "Intune" + escape + "\n" + forged + tenKilobytes, expected: "which is not a reported state (COMPLIANT or NON_COMPLIANT)"),
        Case(name: "compliance state: COMPLIANT and a newline", state: "COMPLIANT\n", expected: "which is not a reported state"),
        Case(name: "reportDate: year 9999", reportDate: "9999-12-31T23:59:59Z", expected: "answered a reportDate out of range"),
        Case(name: "reportDate: year 0001", reportDate: "0001-01-01T00:00:00Z", expected: "answered a reportDate out of range"),
        Case(name: "reportDate: not a date", reportDate: "yesterday" + escape + "\n" + forged + tenKilobytes,
             expected: "answered a reportDate that is not a date"),
    ]

    @Test("rotate with a hostile Jamf Pro behind verify", arguments: cases)
    func hostileJamfProBehindVerify(_ testCase: Case) async throws {
        let reportDate = testCase.reportDate ?? Date().addingTimeInterval(120).formatted(.iso8601)
        let routes = HostileRoute.jamfProVerify(computer: Self.canary, reportDate: reportDate, state: testCase.state, vendor: testCase.vendor)
        let server = HostileServer(
            mode: testCase.mode, retryAfterValues: ["inf", "-1", "99999999999999999"], routes: routes.filter { $0.path != testCase.hostilePath })
        let world = try await World.make(hostile: try server.start().absoluteString)
        defer {
            server.stop()
            Task { await world.finish() }
        }
        let sandbox = world.sandbox
        var arguments = ["rotate", "jamf-intune"]
        // A binary from before issue 13 has no such option (and reads no inventory): it is run
        // with its default wait, which no case here reaches.
        if try await sandbox.runAsync(["rotate", "--help"]).output.contains("--jamf-canary-wait") { arguments += ["--jamf-canary-wait", "2s"] }

        let run = try await HostileHTTPTests.measured(sandbox, arguments, killAbove: 1 << 30, killAfter: testCase.bound + 30)
        print("\(testCase.name): \(run.elapsed) s, peak RSS \(run.peakResidentBytes >> 10) KiB, requests \(server.requests)")

        #expect(!run.killed && !run.signalled, "the process crashed or had to be killed: \(run)")
        #expect(run.peakResidentBytes > 0, "no memory sample was taken: \(run)")
        #expect(server.requests.contains { $0.hasPrefix("GET \(Self.inventory)") } || testCase.hostilePath == nil,
                "verify never read the canary's inventory: \(server.requests)")
        // A removal that outlasted the aftermath of a gzip bomb leaves the new key pending for the next run.
        let pending = run.standardOutput.contains("is left pending in the vault and at the issuer because removing it failed")
        let failure = run.standardError.split(separator: "\n").filter { $0.hasPrefix("secrets: rotation failed for 1 app(s): jamf-intune (verify: ") }
        // Bounded in time and memory, the gzip bomb included: nothing inflates it (HTTPTransport
        // over libcurl; under URLSession it went on inflating for 20-30 s, up to 135 MiB).
        #expect(run.elapsed < testCase.bound, "took longer than \(testCase.bound) s: \(run)")
        #expect(run.peakResidentBytes < Self.memoryLimit, "peak RSS over \(Self.memoryLimit >> 20) MiB: \(run)")
        #expect(testCase.verifies || failure.first?.contains(testCase.expected) == true, "the failure should say \"\(testCase.expected)\": \(run)")
        #expect(!pending, "the new key could not be removed in the same run: \(run)")
        if testCase.verifies {
            #expect(run.status == 0 && run.standardOutput.contains(testCase.expected), "a healthy Jamf Pro should verify: \(run)")
            return
        }
        // Not verified: one failure line naming the app's verify.
        #expect(run.status == 1, "a hostile report fails the app's rotation (exit 1): \(run)")
        #expect(!run.standardOutput.contains("reports COMPLIANT"), "a hostile report was taken as verified: \(run)")
        #expect(run.standardError.split(separator: "\n").allSatisfy { $0.hasPrefix("secrets: ") }, "\(run)")
        #expect(failure.count == 1, "one failure line naming jamf-intune's verify: \(run)")
        for text in [run.standardOutput, run.standardError] {
            Self.expectNothingRaw(in: text, what: "the output of rotate")
            #expect(!text.contains(HostileServer.marker + " " + HostileServer.marker), "the hostile body reached the output: \(run)")
            #expect(!text.contains("hostile-jamf-token"))
        }
        // Undone, the previous secret kept: current in the vault, back in Jamf Pro, the only one at
        // Entra ID (after the next run, if this one could not remove the new one).
        if pending {
            server.stop()
            _ = try await sandbox.runAsync(arguments)
        }
        #expect(try await sandbox.succeedAsync(["secret", "get", "jamf-intune"]).output == world.oldSecret)
        #expect(await world.jamf.configuredIntegration()?.secret == world.oldSecret)
        #expect(await world.entra.secrets(ofApp: world.intuneID).map(\.keyID) == [world.oldKey])
        try await world.expectNothingRawKept()
    }

    /// Expects `text` to hold no control character (a newline ends a line of ours, so none may
    /// start a line the server wrote).
    static func expectNothingRaw(in text: String, what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = text.unicodeScalars.filter { Self.isControl($0) && $0 != "\n" && $0 != "\t" }
        #expect(raw.isEmpty, "\(what) holds control characters \(raw.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix(forged) }, "\(what) has a line the server forged", sourceLocation: sourceLocation)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Every string in a JSON document, keys included.
    static func strings(in object: Any) -> [String] {
        switch object {
        case let text as String: return [text]
        case let array as [Any]: return array.flatMap { strings(in: $0) }
        case let dictionary as [String: Any]: return dictionary.flatMap { [$0.key] + strings(in: $0.value) }
        default: return []
        }
    }
}

extension HostileJamfIntuneTests {
    /// ``EmulatorWorld`` with the Jamf Pro Intune app, whose consumer verifies against the hostile
    /// server; the Jamf Pro emulator is where its apply command saves the payload, holding the old
    /// secret to begin with.
    struct World {
        let base: EmulatorWorld
        let app: EmulatorWorld.EntraApp
        let jamf: JamfProEmulator
        var sandbox: Sandbox { base.sandbox }
        var entra: EntraEmulator { base.entra }
        var intuneID: String { app.appID }
        var oldSecret: String { app.oldSecret }
        var oldKey: String { app.oldKey }

        static func make(hostile: String) async throws -> World {
            let base = try await EmulatorWorld.make("hostile-jamf-intune", jamf: .accepts)
            base.sandbox.setEnvironment(["SECRETS_HTTP_TIMEOUT": String(Int(HostileJamfIntuneTests.deadline))])
            let jamf = try base.jamf
            let apply = JamfIntuneRotationTests.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh \(jamf.url)"
            let app = try await base.addEntraApp(
                "jamf-intune", displayName: "Jamf Pro Intune", expiresInDays: 12,
                options: ["--consumer", "jamf-pro-intune=\(hostile.trimmingSuffix("/"))", "--jamf-api-client", "jamf-api",
                          "--jamf-canary", EmulatorWorld.canary, "--apply-command", apply])
            let initial = try await base.sandbox.succeedAsync(["jamf", "payload", "jamf-intune", "--reveal"])
            try await JamfIntuneRotationTests.put(initial.standardOutput, to: jamf.url + "/_emulator/intune-integration")
            return World(base: base, app: app, jamf: jamf.emulator)
        }

        /// Nothing the server sent is kept with a control character: not in the audit log, not
        /// in what the vault shows or exports, not in the vault file's bytes.
        func expectNothingRawKept(sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let log = try await sandbox.succeedAsync(["log"])
            HostileJamfIntuneTests.expectNothingRaw(in: log.output, what: "`secrets log`", sourceLocation: sourceLocation)
            #expect(log.output.contains("jamf-intune"), "the log should record the rotation: \(log)", sourceLocation: sourceLocation)
            let keyFile = sandbox.directory.path("export-key.txt"), exportFile = sandbox.directory.path("export.age")
            try await sandbox.succeedAsync(["export", "--recipient", try Tools.generateKey(at: keyFile), "-o", exportFile])
            let decrypted = try ProcessRunner.run(try Tools.age(), arguments: ["-d", "-i", keyFile, exportFile], timeout: Tools.timeout)
            try #require(decrypted.succeeded, "\(decrypted)", sourceLocation: sourceLocation)
            for (what, json) in [
                ("`log --json`", try await sandbox.succeedAsync(["log", "--json"]).standardOutput),
                ("`app show --json`", try await sandbox.succeedAsync(["app", "show", "jamf-intune", "--json"]).standardOutput),
                ("`rotate --due --dry-run --json`", try await sandbox.succeedAsync(["rotate", "--due", "--dry-run", "--json"]).standardOutput),
                ("the vault's export", decrypted.standardOutput),
            ] {
                let strings = HostileJamfIntuneTests.strings(in: try JSONSerialization.jsonObject(with: json))
                let raw = strings.filter { $0.unicodeScalars.contains(where: HostileJamfIntuneTests.isControl) }
                #expect(raw.isEmpty, "\(what) holds control characters: \(raw.map(\.debugDescription))", sourceLocation: sourceLocation)
            }
            for path in [sandbox.vault, sandbox.vault + "-wal"] where FileManager.default.fileExists(atPath: path) {
                let file = try Data(contentsOf: URL(fileURLWithPath: path))
                for needle in ["\u{1B}]52", "\n" + HostileJamfIntuneTests.forged] {
                    #expect(file.range(of: Data(needle.utf8)) == nil, "\(path) holds \(needle.debugDescription)", sourceLocation: sourceLocation)
                }
            }
        }

        func finish() async { await base.finish() }
    }
}

import Foundation
import ProcessHarness
import Testing

/// Wrong invocations and wrong inputs, one row each: the exact exit code the README documents, a
/// message fragment saying what was wrong, on exactly one `secrets: ` line, and nothing lost —
/// the vault still verifies and holds what it held. (ErrorTests and ArgumentErrorTests hold more
/// rows of the same kind; none is repeated here.)
@Suite("Bad input table")
struct BadInputTests {
    /// What a row needs beyond the standard vault.
    enum Setup: Sendable {
        case none
        /// `reader.txt` is a reader identity of the vault.
        case reader
        /// The identity is passphrase-protected; the row runs with a wrong passphrase file.
        case wrongPassphrase
        /// `{foreign}` is another vault, whose keyring knows only another identity.
        case foreignVault
        /// Another process holds the vault's rotation lock while the row runs.
        case rotationLockHeld
        /// The identity file is readable by everybody.
        case identityReadable
        /// `{junk}` is 4 KiB of random bytes.
        case junkFile
        /// The manual app `hang` has a command consumer that never finishes.
        case hangingConsumer
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        var stdin = "a-new-client-secret-value"
        var environment: [String: String] = [:]
        var setup = Setup.none
        let status: Int32
        let mentioning: String
        /// `rotate`/`rollback` print their summary on stdout even when an app failed, and
        /// `expiring` its UNKNOWN status line (a monitoring plugin's).
        var printsSummary = false

        var testDescription: String { "\(name) → \(status)" }
    }

    static let tenant = ["--tenant", "contoso.onmicrosoft.com"]
    static let existingAppID = "7b0c3e1a-52d4-4f8e-9a6b-3c2d1e0f9a8b"
    static func newApp(_ extra: [String]) -> [String] { ["app", "add", "new-app", "--app-id", Sandbox.guid()] + tenant + extra }
    static func addSecret(_ extra: [String]) -> [String] { ["secret", "add", "jamf-intune"] + extra }

    static let cases: [Case] = [
        // Dates, durations, GUIDs, URLs (64, naming the flag).
        Case(name: "a day that does not exist", arguments: addSecret(["--expires", "2027-02-30"]), status: 64, mentioning: "--expires"),
        Case(name: "a month that does not exist", arguments: addSecret(["--expires", "2027-13-01"]), status: 64, mentioning: "--expires"),
        Case(name: "a timestamp without a zone", arguments: addSecret(["--expires", "2027-05-31T12:00:00"]), status: 64, mentioning: "--expires"),
        Case(name: "a duration that overflows", arguments: addSecret(["--expires", "999999999999999999999d"]), status: 64, mentioning: "--expires"),
        Case(name: "words for --valid-from", arguments: addSecret(["--expires", "90d", "--valid-from", "tomorrow"]), status: 64, mentioning: "--valid-from"),
        Case(name: "--valid-from after --expires", arguments: addSecret(["--expires", "2027-01-01", "--valid-from", "2027-06-01"]),
             status: 64, mentioning: "--valid-from: must be before"),
        Case(name: "an unknown duration unit", arguments: newApp(["--rotate-before", "10x"]), status: 64, mentioning: "--rotate-before"),
        Case(name: "an empty duration", arguments: newApp(["--overlap", ""]), status: 64, mentioning: "--overlap"),
        Case(name: "a zero lifetime", arguments: newApp(["--lifetime", "0d"]), status: 64, mentioning: "--lifetime"),
        Case(name: "a GUID with a non-hex digit", arguments: ["app", "add", "new-app", "--app-id", "5e0d7a64-93f1-4c2b-8d5e-1a2b3c4d5e6G"] + tenant,
             status: 64, mentioning: "--app-id"),
        Case(name: "a GUID in braces", arguments: ["app", "add", "new-app", "--app-id", "{\(Sandbox.guid())}"] + tenant, status: 64, mentioning: "--app-id"),
        Case(name: "app edit with a bad GUID", arguments: ["app", "edit", "jamf-intune", "--app-id", "nope"], status: 64, mentioning: "--app-id"),
        Case(name: "--confirm-removed that is not a GUID", arguments: ["rotate", "jamf-intune", "--confirm-removed", "nope"],
             status: 64, mentioning: "--confirm-removed"),
        Case(name: "rotate --key-id that is not a GUID", arguments: ["rotate", "jamf-intune", "--key-id", "nope"], status: 64, mentioning: "--key-id"),
        Case(name: "an ftp:// consumer", arguments: newApp(["--consumer", "jamf-pro-intune=ftp://jamf.example.com"]), status: 64, mentioning: "--consumer"),
        Case(name: "plain http to a remote Jamf Pro", arguments: newApp(["--issuer", "jamf-pro-api-client", "--jamf-url", "http://jamf.example.com",
                                                                        "--jamf-integration-id", "7"]),
             status: 64, mentioning: "loopback"),
        Case(name: "a Jamf Pro URL that is not a URL", arguments: newApp(["--issuer", "jamf-pro-api-client", "--jamf-url", "not a url",
                                                                         "--jamf-integration-id", "7"]),
             status: 64, mentioning: "--jamf-url"),
        Case(name: "an unknown consumer kind", arguments: newApp(["--consumer", "bogus=x"]), status: 64, mentioning: "--consumer"),
        Case(name: "a command consumer with no command", arguments: newApp(["--consumer", "command="]), status: 64, mentioning: "--consumer"),
        Case(name: "a non-numeric integration id", arguments: newApp(["--issuer", "jamf-pro-api-client", "--jamf-url", "https://j.jamfcloud.com",
                                                                     "--jamf-integration-id", "abc"]),
             status: 64, mentioning: "--jamf-integration-id"),
        Case(name: "a canary without a Jamf Pro consumer", arguments: newApp(["--jamf-canary", "42"]), status: 64, mentioning: "--jamf-canary"),
        Case(name: "an app as its own rotator", arguments: ["app", "edit", "jamf-intune", "--rotator", "jamf-intune"], status: 64, mentioning: "--rotator"),
        Case(name: "an empty label", arguments: ["app", "add", "", "--app-id", Sandbox.guid()] + tenant, status: 64, mentioning: "label"),
        // Empty and blank secrets.
        Case(name: "a lone newline as the secret", arguments: addSecret(["--expires", "90d"]), stdin: "\n", status: 64, mentioning: "empty"),
        Case(name: "blanks as the secret", arguments: addSecret(["--expires", "90d"]), stdin: "   \t ", status: 64, mentioning: "blanks"),
        Case(name: "an empty --from-file", arguments: addSecret(["--expires", "90d", "--from-file", "/dev/null"]), status: 64, mentioning: "empty"),
        Case(name: "a missing --from-file", arguments: addSecret(["--expires", "90d", "--from-file", "{dir}/missing.txt"]), status: 66, mentioning: "missing.txt"),
        // Flags that conflict or are out of range.
        Case(name: "--concurrency 0", arguments: ["rotate", "--due", "--concurrency", "0"], status: 64, mentioning: "--concurrency"),
        Case(name: "--concurrency too high", arguments: ["rotate", "--due", "--concurrency", "100000"], status: 64, mentioning: "--concurrency"),
        Case(name: "--concurrency not a number", arguments: ["rotate", "--due", "--concurrency", "abc"], status: 64, mentioning: "--concurrency"),
        Case(name: "--due with --all", arguments: ["rotate", "--due", "--all"], status: 64, mentioning: "not both"),
        Case(name: "--retire-now with a selection", arguments: ["rotate", "--all", "--retire-now", "jamf-intune"], status: 64, mentioning: "--retire-now"),
        Case(name: "--recipient with --passphrase", arguments: ["export", "--recipient", "age1bogus", "--passphrase", "-o", "{dir}/x.age"],
             status: 64, mentioning: "either --recipient"),
        Case(name: "a malformed recipient", arguments: ["recipients", "add", "age1bogus", "--role", "reader"], status: 64, mentioning: "age1bogus"),
        Case(name: "an unknown payload format", arguments: ["jamf", "payload", "jamf-intune", "--format", "xml"], status: 64, mentioning: "xml"),
        Case(name: "removing without --yes and no terminal", arguments: ["app", "remove", "jamf-intune"], status: 64, mentioning: "--yes"),
        Case(name: "turning the Jamf Pro integration off without --yes and no terminal",
             arguments: ["jamf", "payload", "jamf-intune", "--disconnect"], status: 64, mentioning: "--yes"),
        Case(name: "import --from-azure with a bad --app-id",
             arguments: ["import", "--from-azure", "{junk}", "--app-id", "nope"] + tenant, setup: .junkFile, status: 64, mentioning: "--app-id"),
        // The environment.
        Case(name: "non-loopback http:// Graph endpoint", arguments: ["rotate", "jamf-intune"],
             environment: ["SECRETS_GRAPH_ENDPOINT": "http://graph.example.com"], status: 64, mentioning: "SECRETS_GRAPH_ENDPOINT"),
        Case(name: "an endpoint with a query", arguments: ["rotate", "jamf-intune"],
             environment: ["SECRETS_GRAPH_ENDPOINT": "https://graph.example.com/?x=1"], status: 64, mentioning: "SECRETS_GRAPH_ENDPOINT"),
        Case(name: "SECRETS_HTTP_TIMEOUT 0", arguments: ["rotate", "jamf-intune"], environment: ["SECRETS_HTTP_TIMEOUT": "0"],
             status: 64, mentioning: "SECRETS_HTTP_TIMEOUT"),
        Case(name: "SECRETS_COMMAND_TIMEOUT not a number", arguments: ["rotate", "jamf-intune"], environment: ["SECRETS_COMMAND_TIMEOUT": "abc"],
             status: 64, mentioning: "SECRETS_COMMAND_TIMEOUT"),
        Case(name: "SECRETS_LOG_LEVEL unknown", arguments: ["list"], environment: ["SECRETS_LOG_LEVEL": "loud"], status: 64, mentioning: "SECRETS_LOG_LEVEL"),
        Case(name: "SECRETS_LOG_LEVEL unknown for expiring", arguments: ["expiring"], environment: ["SECRETS_LOG_LEVEL": "loud"],
             status: 3, mentioning: "SECRETS_LOG_LEVEL", printsSummary: true),
        // Things that do not exist.
        Case(name: "app show of an unknown app", arguments: ["app", "show", "nope"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "app edit of an unknown app", arguments: ["app", "edit", "nope", "--notes", "x"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "app remove of an unknown app", arguments: ["app", "remove", "nope", "--yes"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "jamf payload of an unknown app", arguments: ["jamf", "payload", "nope"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "rollback of an unknown app", arguments: ["rollback", "nope", "--yes"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "retire-now of an unknown app", arguments: ["rotate", "--retire-now", "nope", "--yes"], status: 66, mentioning: "no app \"nope\""),
        Case(name: "a missing Azure file", arguments: ["import", "--from-azure", "{dir}/az.json"] + tenant, status: 66, mentioning: "az.json"),
        Case(name: "Azure JSON that is not JSON", arguments: ["import", "--from-azure", "{junk}"] + tenant, setup: .junkFile, status: 65, mentioning: "not JSON"),
        Case(name: "export over an existing file", arguments: ["export", "--recipient", "{readerKey}", "-o", "{junk}"], setup: .junkFile,
             status: 73, mentioning: "cannot create"),
        // Vaults that cannot be opened.
        Case(name: "a file that is not a vault", arguments: ["list", "--vault", "{junk}"], setup: .junkFile, status: 65, mentioning: "not a secrets vault"),
        Case(name: "a vault for another identity", arguments: ["list", "--vault", "{foreign}"], setup: .foreignVault, status: 77, mentioning: "not a recipient"),
        Case(name: "a wrong passphrase", arguments: ["list"], setup: .wrongPassphrase, status: 77, mentioning: "cannot unlock"),
        Case(name: "an identity file others can read", arguments: ["list"], setup: .identityReadable, status: 77, mentioning: "chmod 600"),
        Case(name: "rotate while another holds the rotation lock", arguments: ["rotate", "--due"], setup: .rotationLockHeld,
             status: 75, mentioning: "another `secrets rotate`"),
        Case(name: "rollback while another holds the rotation lock", arguments: ["rollback", "jamf-intune", "--yes"], setup: .rotationLockHeld,
             status: 75, mentioning: "another `secrets rotate`"),
        // Roles.
        Case(name: "a reader asking for a secret", arguments: ["secret", "get", "jamf-intune", "--identity", "{reader}"], setup: .reader,
             status: 77, mentioning: "reader"),
        Case(name: "a reader editing an app", arguments: ["app", "edit", "jamf-intune", "--notes", "x", "--identity", "{reader}"], setup: .reader,
             status: 77, mentioning: "reader"),
        Case(name: "a reader revealing the payload", arguments: ["jamf", "payload", "jamf-intune", "--reveal", "--identity", "{reader}"], setup: .reader,
             status: 77, mentioning: "reader"),
        Case(name: "a reader rotating", arguments: ["rotate", "--due", "--identity", "{reader}"], setup: .reader, status: 77, mentioning: "admin"),
        // Refused for the role before any export passphrase is asked for (there is no terminal here).
        Case(name: "a reader exporting to a passphrase", arguments: ["export", "--passphrase", "-o", "{dir}/x.age", "--identity", "{reader}"],
             setup: .reader, status: 77, mentioning: "admin"),
        Case(name: "removing a key that is not a recipient", arguments: ["recipients", "remove", "{readerKey}"], status: 66,
             mentioning: "is not a recipient of this vault"),
        // A hook that never finishes is stopped; the app's old secret stays current.
        Case(name: "an apply command that hangs", arguments: ["rotate", "hang", "--key-id", "{guid}", "--expires", "180d"],
             environment: ["SECRETS_COMMAND_TIMEOUT": "1"], setup: .hangingConsumer, status: 1, mentioning: "did not finish within 1 s",
             printsSummary: true),
    ]

    @Test("a wrong invocation exits with its documented code, says why on one line, and loses nothing", arguments: cases)
    func badInput(_ row: Case) throws {
        let sandbox = try Sandbox("bad-input")
        defer { sandbox.remove() }
        let known = Sandbox.secretValue(), rotatorSecret = Sandbox.secretValue()
        try sandbox.initVault()
        try sandbox.addApp("rotator")
        try sandbox.addSecret("rotator", value: rotatorSecret)
        try sandbox.succeed(["app", "add", "jamf-intune", "--app-id", Self.existingAppID] + Self.tenant + [
            "--issuer", "entra-id", "--rotator", "rotator", "--consumer", "jamf-pro-intune=https://contoso.jamfcloud.com",
        ])
        try sandbox.addSecret("jamf-intune", value: known)
        var world = try World(sandbox: sandbox, setup: row.setup)
        defer { world.finish() }
        let before = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"], environment: world.unlock))

        let arguments = row.arguments.map { world.expand($0) }
        var environment = row.environment.mapValues { Optional($0) }
        if case .wrongPassphrase = row.setup { environment["SECRETS_PASSPHRASE_FILE"] = world.wrongPassphraseFile }
        try world.arm()
        let result = try sandbox.run(arguments, stdin: Data(row.stdin.utf8), environment: environment)

        #expect(result.exitStatus == row.status, "\(result)")
        #expect(result.errorOutput.contains(row.mentioning), "stderr should mention \"\(row.mentioning)\": \(result)")
        if row.printsSummary {
            // A rotation also says, one `secrets:` line each, how every failed hook ended.
            Sandbox.expectErrorLines(result)
        } else {
            Sandbox.expectOneLineError(result)
        }
        if !row.printsSummary { #expect(result.standardOutput.isEmpty, "a failing command printed to stdout: \(result)") }

        // Nothing lost: the vault verifies and holds what it held (a hook that hung leaves its new
        // secret pending, as the README says, so that app gains one credential).
        world.restore()
        let after = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"], environment: world.unlock))
        #expect(after.problems.isEmpty)
        #expect(after.checked["apps"] == before.checked["apps"])
        let added = row.setup.addsPendingSecret ? 1 : 0
        #expect(after.checked["credentials"] == before.checked["credentials"].map { $0 + added })
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"], environment: world.unlock).output == known)
        #expect(try sandbox.succeed(["secret", "get", "rotator"], environment: world.unlock).output == rotatorSecret)
        sandbox.expectNoLeak(of: known)
        sandbox.expectNoLeak(of: rotatorSecret)
    }
}

extension BadInputTests.Setup {
    var addsPendingSecret: Bool {
        if case .hangingConsumer = self { return true }
        return false
    }
}

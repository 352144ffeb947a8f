import Foundation
import ProcessHarness
import Testing

/// Every failure exits with its documented code (SecretsCommand's discussion and the README) and
/// says what went wrong in one line on stderr that starts with `secrets: `, naming the flag when
/// a value was wrong.
@Suite("Errors and exit codes")
struct ErrorTests {
    /// One failing command, run against a fresh vault holding the app `jamf-intune` (app ID
    /// ``existingAppID``) with one secret. In `arguments`, `{dir}` is the sandbox directory and
    /// `{garbage}` / `{foreign}` are files the case gets: random bytes, and an age file
    /// encrypted to somebody else.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        var stdin = ""
        let status: Int32
        let mentioning: String

        var testDescription: String { "\(name) → \(status)" }
    }

    static let existingAppID = "5e0d7a64-93f1-4c2b-8d5e-1a2b3c4d5e6f"
    static let tenant = ["--tenant", "contoso.onmicrosoft.com"]

    static let cases: [Case] = [
        Case(name: "app add with a bad --app-id", arguments: ["app", "add", "new-app", "--app-id", "not-a-guid"] + tenant,
             status: 64, mentioning: "--app-id"),
        Case(name: "app add with a bad --tenant",
             arguments: ["app", "add", "new-app", "--app-id", Sandbox.guid(), "--tenant", "not a tenant"],
             status: 64, mentioning: "--tenant"),
        Case(name: "app add with a bad --lifetime",
             arguments: ["app", "add", "new-app", "--app-id", Sandbox.guid(), "--lifetime", "5x"] + tenant,
             status: 64, mentioning: "--lifetime"),
        Case(name: "app add with a bad --cloud", arguments: ["app", "add", "new-app", "--app-id", Sandbox.guid(), "--cloud", "mars"] + tenant,
             status: 64, mentioning: "--cloud"),
        Case(name: "secret add with a bad --expires", arguments: ["secret", "add", "jamf-intune", "--expires", "next tuesday"],
             stdin: Sandbox.secretValue(), status: 64, mentioning: "--expires"),
        Case(name: "secret add with a bad --key-id", arguments: ["secret", "add", "jamf-intune", "--expires", "90d", "--key-id", "1234"],
             stdin: Sandbox.secretValue(), status: 64, mentioning: "--key-id"),
        Case(name: "secret add with an empty value", arguments: ["secret", "add", "jamf-intune", "--expires", "90d"],
             stdin: "", status: 64, mentioning: "empty"),
        Case(name: "secret add with a value over 4096 bytes", arguments: ["secret", "add", "jamf-intune", "--expires", "90d"],
             stdin: String(repeating: "x", count: 5000), status: 64, mentioning: "4096"),
        Case(name: "secret get of an unknown app", arguments: ["secret", "get", "no-such-app"], status: 66, mentioning: "no app"),
        Case(name: "secret get of an unknown key ID", arguments: ["secret", "get", "jamf-intune", "--key-id", Sandbox.guid()],
             status: 66, mentioning: "no credential"),
        Case(name: "list without a vault", arguments: ["list", "--vault", "{dir}/missing.sqlite"], status: 66, mentioning: "secrets init"),
        Case(name: "list without an identity file", arguments: ["list", "--identity", "{dir}/missing-identity.txt"],
             status: 66, mentioning: "no identity file"),
        Case(name: "init over an existing vault", arguments: ["init", "--no-passphrase"], status: 73, mentioning: "already exists"),
        Case(name: "app add of an existing label", arguments: ["app", "add", "jamf-intune", "--app-id", Sandbox.guid()] + tenant,
             status: 65, mentioning: "already exists"),
        Case(name: "app add of an existing app ID", arguments: ["app", "add", "other-label", "--app-id", existingAppID] + tenant,
             status: 65, mentioning: "already exists"),
        Case(name: "import of a file that is not an age file", arguments: ["import", "{garbage}"], status: 65, mentioning: "cannot decrypt"),
        Case(name: "import of a missing file", arguments: ["import", "{dir}/missing.age"], status: 66, mentioning: "cannot read"),
        Case(name: "import of a file encrypted to someone else", arguments: ["import", "{foreign}"], status: 77, mentioning: "cannot decrypt"),
        Case(name: "expiring with --days out of range", arguments: ["expiring", "--days", "99999"], status: 3, mentioning: "--days"),
    ]

    @Test("expiring that cannot check prints its UNKNOWN status on stdout in the format asked for, and exits 3")
    func expiringUnknownStatus() throws {
        let sandbox = try Sandbox("errors-expiring")
        defer { sandbox.remove() }
        // No vault at all: what a monitoring plugin must still report.
        let table = try sandbox.run(["expiring", "--days", "30"])
        #expect(table.exitStatus == 3, "\(table)")
        #expect(table.output.hasPrefix("UNKNOWN: could not check: ") && table.output.split(separator: "\n").count == 1, "\(table)")
        let json = try sandbox.run(["expiring", "--json"])
        #expect(json.exitStatus == 3, "\(json)")
        let object = try JSONSerialization.jsonObject(with: json.standardOutput) as? [String: Any]
        #expect(object?["status"] as? String == "unknown" && (object?["error"] as? String)?.isEmpty == false, "\(json)")
        #expect((object?["credentials"] as? [Any])?.isEmpty == true)
        let prometheus = try sandbox.run(["expiring", "--format", "prometheus"])
        #expect(prometheus.exitStatus == 3, "\(prometheus)")
        #expect(prometheus.output.contains("\nsecrets_expiring_check_success 0\n"), "\(prometheus)")
        // A failure before the arguments are parsed, too.
        let early = try sandbox.run(["expiring", "--format", "json"], environment: ["SECRETS_LOG_LEVEL": "loud"])
        #expect(early.exitStatus == 3, "\(early)")
        #expect((try JSONSerialization.jsonObject(with: early.standardOutput) as? [String: Any])?["status"] as? String == "unknown", "\(early)")
        // And a check that succeeds says so in the same series.
        try sandbox.initVault()
        let fine = try sandbox.run(["expiring", "--format", "prometheus"])
        #expect(fine.exitStatus == 0 && fine.output.contains("\nsecrets_expiring_check_success 1\n"), "\(fine)")
    }

    @Test("a failing command exits with its documented code and one `secrets:` line", arguments: cases)
    func failure(_ failure: Case) throws {
        let sandbox = try Sandbox("errors")
        defer { sandbox.remove() }
        let secret = Sandbox.secretValue()
        try sandbox.initVault()
        try sandbox.addApp("jamf-intune", appID: Self.existingAppID)
        try sandbox.addSecret("jamf-intune", value: secret)
        let arguments = try failure.arguments.map { try expand($0, in: sandbox) }

        try sandbox.fail(arguments, status: failure.status, mentioning: failure.mentioning, stdin: failure.stdin)

        // Nothing changed: the vault is intact and still holds exactly its one secret.
        let verified = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"]))
        #expect(verified.checked["apps"] == 1)
        #expect(verified.checked["credentials"] == 1)
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"]).standardOutput == Data(secret.utf8))
        sandbox.expectNoLeak(of: secret)
    }

    private func expand(_ argument: String, in sandbox: Sandbox) throws -> String {
        switch argument {
        case "{garbage}":
            var bytes = Data((0..<512).map { _ in UInt8.random(in: 0...255) })
            bytes.replaceSubrange(0..<4, with: Data("junk".utf8))
            return try sandbox.directory.write(bytes, to: "garbage.age")
        case "{foreign}":
            let strangerKey = try Tools.generateKey(at: sandbox.directory.path("stranger.txt"))
            let file = sandbox.directory.path("foreign.age")
            let encrypted = try ProcessRunner.run(
                try Tools.age(), arguments: ["-r", strangerKey, "-o", file], input: Data("{}".utf8), timeout: Tools.timeout)
            try #require(encrypted.succeeded, "\(encrypted)")
            return file
        default:
            return argument.replacingOccurrences(of: "{dir}", with: sandbox.directory.path)
        }
    }
}

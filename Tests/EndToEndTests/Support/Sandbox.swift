import Emulators
import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// One user's world: a private directory holding the vault, the identity, `HOME` and the XDG
/// directories, and a clean environment (nothing inherited, no stray `SECRETS_*`) that points
/// `secrets` at them. Every run is recorded, so a test can check afterwards that no output of
/// any command held a secret value.
final class Sandbox: @unchecked Sendable {
    /// Seconds one `secrets` run may take. Generous: a debug build spends about a second in
    /// scrypt per passphrase unlock, and concurrent writers may wait for one another.
    static let timeout: TimeInterval = 120

    let directory: TemporaryDirectory
    /// The `secrets` binary under test.
    let binary: String
    /// `SECRETS_VAULT`.
    let vault: String
    /// `SECRETS_IDENTITY`.
    let identity: String
    /// The whole environment every run gets (before per-run changes).
    private(set) var environment: [String: String]

    private let lock = NSLock()
    private var transcript: [ProcessResult] = []

    /// Creates the directory, with the vault on `store` (the run's ``VaultStore/default`` unless
    /// a test names one); throws (failing the test) when the `secrets` binary is missing.
    init(_ name: String, store: VaultStore = .default) throws {
        binary = try Tools.secrets()
        directory = try TemporaryDirectory(prefix: "SecretsE2E-\(name)")
        vault = try store.location(in: directory)
        identity = directory.path("identity.txt")
        for folder in ["home", "xdg-config", "xdg-data"] {
            try FileManager.default.createDirectory(
                atPath: directory.path(folder), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        }
        environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": directory.path("home"),
            "XDG_CONFIG_HOME": directory.path("xdg-config"),
            "XDG_DATA_HOME": directory.path("xdg-data"),
            "SECRETS_VAULT": vault,
            "SECRETS_IDENTITY": identity,
        ]
    }

    /// Deletes the directory.
    func remove() { directory.remove() }

    /// Adds variables every later run gets (the emulators' endpoints, for example).
    func setEnvironment(_ changes: [String: String]) {
        lock.withLock { environment.merge(changes) { $1 } }
    }

    /// Every run so far, in order.
    var results: [ProcessResult] { lock.withLock { transcript } }

    /// Runs `secrets` with `arguments`, writing `stdin` to its standard input. `environment`
    /// adds variables, or removes them where the value is `nil`.
    func run(
        _ arguments: [String], stdin: Data = Data(), environment changes: [String: String?] = [:],
        timeout: TimeInterval = Sandbox.timeout, killAfter: TimeInterval? = nil, killWhen: (@Sendable () -> Bool)? = nil
    ) throws -> ProcessResult {
        var environment = lock.withLock { self.environment }
        for (name, value) in changes { environment[name] = value }
        let result = try ProcessRunner.run(
            binary, arguments: arguments, input: stdin, environment: environment, timeout: timeout, killAfter: killAfter, killWhen: killWhen)
        lock.withLock { transcript.append(result) }
        return result
    }

    /// Runs another program (a shell script that calls `secrets`) in this sandbox's environment,
    /// with `SECRETS_BINARY` naming the `secrets` under test.
    func runProgram(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        var environment = lock.withLock { self.environment }
        environment["SECRETS_BINARY"] = binary
        let result = try ProcessRunner.run(executable, arguments: arguments, environment: environment, timeout: Sandbox.timeout)
        lock.withLock { transcript.append(result) }
        return result
    }

    /// ``run(_:stdin:environment:timeout:killAfter:)`` with text on stdin.
    func run(_ arguments: [String], stdin: String, environment changes: [String: String?] = [:]) throws -> ProcessResult {
        try run(arguments, stdin: Data(stdin.utf8), environment: changes)
    }

    /// Runs `secrets` and requires it to exit 0.
    @discardableResult
    func succeed(
        _ arguments: [String], stdin: String = "", environment changes: [String: String?] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ProcessResult {
        let result = try run(arguments, stdin: Data(stdin.utf8), environment: changes)
        try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Runs a world's vault commands in order, requiring each to exit 0.
    func run(_ commands: [VaultCommand], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for command in commands {
            try succeed(command.arguments, stdin: command.standardInput ?? "", sourceLocation: sourceLocation)
        }
    }

    /// Runs `secrets`, expecting exit `status` and a single-line `secrets: …` error on stderr
    /// that contains `mentioning`, and nothing on stdout.
    @discardableResult
    func fail(
        _ arguments: [String], status: Int32, mentioning: String, stdin: String = "",
        environment changes: [String: String?] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ProcessResult {
        let result = try run(arguments, stdin: Data(stdin.utf8), environment: changes)
        #expect(result.exitStatus == status, "\(result)", sourceLocation: sourceLocation)
        #expect(result.errorOutput.contains(mentioning), "stderr should mention \"\(mentioning)\": \(result)", sourceLocation: sourceLocation)
        Self.expectOneLineError(result, sourceLocation: sourceLocation)
        if arguments.first == "expiring", !arguments.contains(where: { $0.hasPrefix("--format") || $0 == "--json" }) {
            // A monitoring plugin's status line, and nothing else (issue 14).
            #expect(result.output.hasPrefix("UNKNOWN: could not check: ") && result.output.filter { $0 == "\n" }.count == 1,
                    "expiring should print its UNKNOWN status line: \(result)", sourceLocation: sourceLocation)
        } else {
            #expect(result.standardOutput.isEmpty, "a failing command printed to stdout: \(result)", sourceLocation: sourceLocation)
        }
        return result
    }

    /// Expects stderr to be exactly one line that starts with `secrets: `.
    static func expectOneLineError(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = result.errorOutput
        #expect(text.hasPrefix("secrets: "), "stderr should start with \"secrets: \": \(result)", sourceLocation: sourceLocation)
        #expect(text.hasSuffix("\n") && text.dropLast().firstIndex(of: "\n") == nil,
                "stderr should be exactly one line: \(result)", sourceLocation: sourceLocation)
    }

    /// Expects every line of stderr to start with `secrets: `.
    static func expectErrorLines(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = result.errorOutput.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.isEmpty, "no error on stderr: \(result)", sourceLocation: sourceLocation)
        for line in lines {
            #expect(line.hasPrefix("secrets: "), "stderr line \"\(line)\" should start with \"secrets: \"", sourceLocation: sourceLocation)
        }
    }

    /// Expects that no run except `secret get` printed `value`, and that none had it in its arguments.
    func expectNoLeak(of value: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Data(value.utf8)
        for result in results {
            #expect(!result.arguments.contains { $0.contains(value) }, "a secret value was passed in argv: \(result.command)",
                    sourceLocation: sourceLocation)
            if result.arguments.starts(with: ["secret", "get"]) { continue }
            #expect(!result.mentions(bytes), "`\(result.command)` printed a secret value", sourceLocation: sourceLocation)
        }
    }

    // MARK: Common steps

    /// `init --no-passphrase`.
    func initVault(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try succeed(["init", "--no-passphrase"], sourceLocation: sourceLocation)
    }

    /// `app add LABEL --app-id GUID --tenant contoso.onmicrosoft.com`; returns the app ID.
    @discardableResult
    func addApp(_ label: String, appID: String = Sandbox.guid(), sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try succeed(["app", "add", label, "--app-id", appID, "--tenant", "contoso.onmicrosoft.com"], sourceLocation: sourceLocation)
        return appID
    }

    /// `secret add APP --expires EXPIRES` with `value` on stdin; returns the key ID it printed.
    @discardableResult
    func addSecret(
        _ app: String, value: String, expires: String = "90d", options: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try succeed(["secret", "add", app, "--expires", expires] + options, stdin: value, sourceLocation: sourceLocation)
        return try #require(Self.storedKeyID(result), "no key ID in \(result)", sourceLocation: sourceLocation)
    }

    /// The key ID in `secret add`'s "Stored secret <key id> for …" line.
    static func storedKeyID(_ result: ProcessResult) -> String? {
        let words = result.output.split(separator: " ")
        guard words.count > 2, words[0] == "Stored", words[1] == "secret" else { return nil }
        return String(words[2])
    }

    /// Decodes a `--json` output, with RFC 3339 dates.
    func decode<T: Decodable>(_ type: T.Type, from result: ProcessResult) throws -> T {
        try Self.decode(type, from: result.standardOutput)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    /// A new lowercase GUID.
    static func guid() -> String { UUID().uuidString.lowercased() }

    /// A secret value shaped like an Entra ID client secret (40 characters), unique per call.
    static func secretValue() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-")
        return "Q8" + String((0..<38).map { _ in alphabet.randomElement()! })
    }
}

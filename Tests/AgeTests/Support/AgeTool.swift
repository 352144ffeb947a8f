import Foundation
import ProcessHarness

/// The stock `age` and `age-keygen` command-line tools (Debian package `age`), and `script`
/// (util-linux) to give `age` the terminal it reads passphrases from.
///
/// Secrets never appear in arguments: identities are passed as file paths, and passphrases are
/// typed into a pseudo-terminal.
struct AgeTool: Sendable {
    /// Seconds any one invocation may take before it is killed. Generous, since the only slow
    /// work is scrypt at age's work factor 18 (about a second); the limit exists so that a tool
    /// waiting for terminal input it will never get fails the test instead of hanging it.
    static let timeout: TimeInterval = 60

    let agePath: String
    let ageKeygenPath: String
    let scriptPath: String

    /// Finds the tools on `PATH` or in the usual directories.
    ///
    /// - Throws: ``HarnessError`` naming what is missing and how to install it. The interop tests
    ///   must fail, not skip, when the tools are absent.
    static func locate() throws -> AgeTool {
        let age = find("age")
        let ageKeygen = find("age-keygen")
        let script = find("script")
        var missing: [String] = []
        if age == nil { missing.append("`age`") }
        if ageKeygen == nil { missing.append("`age-keygen`") }
        if script == nil { missing.append("`script`") }
        guard let age, let ageKeygen, let script else {
            throw HarnessError(
                "interoperability tests need the stock age tools, but \(missing.joined(separator: ", ")) "
                    + "could not be found on PATH or in /usr/bin, /usr/local/bin, /bin. Install them "
                    + "(Debian/Ubuntu: `apt-get install age bsdutils`); these tests fail rather than skip without them.")
        }
        return AgeTool(agePath: age, ageKeygenPath: ageKeygen, scriptPath: script)
    }

    private static func find(_ name: String) -> String? {
        let pathDirectories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in pathDirectories + ["/usr/bin", "/usr/local/bin", "/bin"] where !directory.isEmpty {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Runs `age` with `arguments` and no terminal (anything needing a passphrase fails).
    func age(_ arguments: [String], input: Data = Data()) throws -> ProcessResult {
        try ProcessRunner.run(agePath, arguments: arguments, input: input, timeout: Self.timeout)
    }

    /// Runs `age-keygen` with `arguments`.
    func ageKeygen(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(ageKeygenPath, arguments: arguments, timeout: Self.timeout)
    }

    /// Runs `age` with `arguments` on a pseudo-terminal, typing each of `lines` followed by a
    /// newline, which is how `age` reads passphrases (from `/dev/tty`, never from stdin).
    ///
    /// The input is queued on the terminal before `age` asks for it; `age` reads its passphrase
    /// prompts one line at a time, so each prompt takes the next line. The terminal does not
    /// echo (`--echo never`), so the passphrase does not come back in the captured output. If
    /// `age` asks for more than `lines` holds it waits forever; the time limit then kills it.
    func ageOnTerminal(_ arguments: [String], typing lines: [String]) throws -> ProcessResult {
        let commandLine = ([agePath] + arguments).map(Self.shellQuoted).joined(separator: " ")
        var environment = ProcessInfo.processInfo.environment
        environment["SHELL"] = "/bin/sh"  // `script -c` runs the command with $SHELL -c.
        let typed = Data(lines.map { $0 + "\n" }.joined().utf8)
        return try ProcessRunner.run(
            scriptPath, arguments: ["--quiet", "--echo", "never", "--return", "--command", commandLine, "/dev/null"],
            input: typed, environment: environment, timeout: Self.timeout)
    }

    private static func shellQuoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

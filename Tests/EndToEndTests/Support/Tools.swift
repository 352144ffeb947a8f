import Foundation
import ProcessHarness

/// The programs the end-to-end tests run: the built `secrets`, the stock `age` tools, `python3`.
///
/// Each is looked up once per call and a missing one throws ``HarnessError``, which fails the
/// test: these tests never skip.
enum Tools {
    /// Seconds any one helper-tool invocation may take.
    static let timeout: TimeInterval = 60

    /// The `secrets` binary under test: `$SECRETS_BINARY`, else `<package root>/.build/debug/secrets`.
    static func secrets() throws -> String {
        if let override = ProcessInfo.processInfo.environment["SECRETS_BINARY"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw HarnessError("SECRETS_BINARY is \(override), which is not an executable file")
            }
            return override
        }
        // This file is <package root>/Tests/EndToEndTests/Support/Tools.swift.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let candidate = root.appendingPathComponent(".build/debug/secrets").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw HarnessError(
                "the end-to-end tests run the built `secrets` binary, but there is none at \(candidate). "
                    + "Build it with `swift build` (`swift test` builds it too), or set SECRETS_BINARY to its path. "
                    + "These tests fail rather than skip without it.")
        }
        return candidate
    }

    /// `age` (Debian package `age`).
    static func age() throws -> String { try find("age", install: "apt-get install age") }

    /// `age-keygen` (Debian package `age`).
    static func ageKeygen() throws -> String { try find("age-keygen", install: "apt-get install age") }

    /// `TestSupport/Attacker`: the outsider's scripts, and `vault_storage.py`, with which a
    /// Python script reads and writes a vault's rows in a file or on the server alike.
    static var attackerDirectory: String {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("TestSupport/Attacker").path
    }

    /// `psql` (Debian package `postgresql-client`), for what a test does on the server directly.
    static func psql() throws -> String { try find("psql", install: "apt-get install postgresql-client") }

    /// `pg_dump` (Debian package `postgresql-client`), to see what the server holds.
    static func pgDump() throws -> String { try find("pg_dump", install: "apt-get install postgresql-client") }

    /// `python3` with its `sqlite3` module, which the tamper tests use to edit the vault file.
    static func python() throws -> String {
        let python = try find("python3", install: "apt-get install python3")
        let probe = try ProcessRunner.run(python, arguments: ["-c", "import sqlite3"], timeout: timeout)
        guard probe.succeeded else {
            throw HarnessError("python3 at \(python) has no sqlite3 module, which the tamper tests need: \(probe)")
        }
        return python
    }

    /// Runs `age-keygen -o <path>` and returns the public key (`age1…`).
    static func generateKey(at path: String) throws -> String {
        let keygen = try ageKeygen()
        let generated = try ProcessRunner.run(keygen, arguments: ["-o", path], timeout: timeout)
        guard generated.succeeded else { throw HarnessError("age-keygen failed: \(generated)") }
        let publicKey = try ProcessRunner.run(keygen, arguments: ["-y", path], timeout: timeout)
        guard publicKey.succeeded else { throw HarnessError("age-keygen -y failed: \(publicKey)") }
        return publicKey.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func find(_ name: String, install: String) throws -> String {
        let pathDirectories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in pathDirectories + ["/usr/bin", "/usr/local/bin", "/bin"] where !directory.isEmpty {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw HarnessError(
            "the end-to-end tests need `\(name)`, which is not on PATH or in /usr/bin, /usr/local/bin, /bin "
                + "(Debian/Ubuntu: `\(install)`). These tests fail rather than skip without it.")
    }
}

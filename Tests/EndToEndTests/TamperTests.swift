import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Editing the vault file behind the tool's back (here with Python's sqlite3 module) is caught:
/// `verify` exits 65 naming the damaged table and row, and commands that read the damaged data
/// exit 65 instead of printing it.
@Suite("Tampering with the vault file", .sqliteFile)
struct TamperTests {
    /// A vault with two apps, `alpha` and `beta`, one secret each, closed and checkpointed.
    private struct Fixture {
        let sandbox: Sandbox
        let secrets: [String: String]
        let python: String

        init(_ name: String) throws {
            python = try Tools.python()
            sandbox = try Sandbox(name)
            try sandbox.initVault()
            var secrets: [String: String] = [:]
            for label in ["alpha", "beta"] {
                try sandbox.addApp(label)
                secrets[label] = Sandbox.secretValue()
                try sandbox.addSecret(label, value: secrets[label]!)
            }
            self.secrets = secrets
            // The last connection to close checkpoints the WAL, so every row is in the main file.
            try sandbox.succeed(["verify"])
            let wal = sandbox.vault + "-wal"
            let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            try #require(walSize == 0, "\(wal) still holds \(walSize) bytes after the last connection closed")
        }

        /// Runs `statements` (Python, with `db` an open sqlite3 connection to the vault) and
        /// returns what the script printed.
        func edit(_ statements: String) throws -> String {
            let script = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\n\(statements)\ndb.commit()\ndb.close()\n"
            let result = try ProcessRunner.run(python, arguments: ["-c", script, sandbox.vault], timeout: Tools.timeout)
            try #require(result.succeeded, "\(result)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Runs `verify`, expecting 65 and a `secrets:` line for each problem; returns stderr.
        func verifyFails(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try sandbox.run(["verify"])
            #expect(result.exitStatus == 65, "\(result)", sourceLocation: sourceLocation)
            #expect(result.output.contains("problem(s) found"), "\(result)", sourceLocation: sourceLocation)
            Sandbox.expectErrorLines(result, sourceLocation: sourceLocation)
            return result.errorOutput
        }

        func expectNoLeaks() {
            for value in secrets.values { sandbox.expectNoLeak(of: value) }
        }
    }

    @Test("a flipped byte in a sealed secret value")
    func flippedSecretByte() throws {
        let fixture = try Fixture("tamper-secret")
        defer { fixture.sandbox.remove() }
        let row = try fixture.edit("""
            row_id, secret = db.execute("SELECT id, secret FROM credentials ORDER BY id LIMIT 1").fetchone()
            damaged = bytearray(secret)
            damaged[len(damaged) // 2] ^= 0x01
            db.execute("UPDATE credentials SET secret = ? WHERE id = ?", (bytes(damaged), row_id))
            print(row_id.hex())
            """)
        let problems = try fixture.verifyFails()
        #expect(problems.contains("credentials row \(row)"), "\(problems)")
        #expect(problems.contains("secret column"))

        // `secret get` hands out a value, so it checks the whole vault first: every get fails
        // with 65 naming the damaged row, and prints nothing.
        for label in fixture.secrets.keys.sorted() {
            let result = try fixture.sandbox.run(["secret", "get", label])
            #expect(result.exitStatus == 65, "\(result)")
            #expect(result.standardOutput.isEmpty)
            #expect(result.errorOutput.contains("credentials row \(row)"), "\(result)")
            Sandbox.expectOneLineError(result)
        }
        try fixture.sandbox.fail(
            ["export", "--recipient", try Tools.generateKey(at: fixture.sandbox.directory.path("k.txt")), "-o",
             fixture.sandbox.directory.path("out.age")],
            status: 65, mentioning: "credentials row \(row)")
        #expect(!fixture.sandbox.directory.contains("out.age"), "a failed export left a file behind")
        try fixture.sandbox.fail(["expiring", "--verify"], status: 3, mentioning: "credentials row \(row)")
        fixture.expectNoLeaks()
    }

    @Test("the sealed metadata of two apps swapped")
    func swappedAppMetadata() throws {
        let fixture = try Fixture("tamper-apps")
        defer { fixture.sandbox.remove() }
        let rows = try fixture.edit("""
            (a, meta_a), (b, meta_b) = db.execute("SELECT id, meta FROM apps ORDER BY id").fetchall()
            db.execute("UPDATE apps SET meta = ? WHERE id = ?", (meta_b, a))
            db.execute("UPDATE apps SET meta = ? WHERE id = ?", (meta_a, b))
            print(a.hex(), b.hex())
            """).split(separator: " ").map(String.init)
        try #require(rows.count == 2)
        let problems = try fixture.verifyFails()
        for row in rows { #expect(problems.contains("apps row \(row)"), "\(problems)") }

        for label in ["alpha", "beta"] {
            try fixture.sandbox.fail(["app", "show", label], status: 65, mentioning: "apps row")
            try fixture.sandbox.fail(["app", "show", label, "--json"], status: 65, mentioning: "apps row")
            try fixture.sandbox.fail(["secret", "get", label], status: 65, mentioning: "apps row")
        }
        try fixture.sandbox.fail(["list"], status: 65, mentioning: "apps row")
        try fixture.sandbox.fail(["expiring", "--days", "400"], status: 3, mentioning: "apps row")
        fixture.expectNoLeaks()
    }

    @Test("a credentials row deleted")
    func deletedCredential() throws {
        let fixture = try Fixture("tamper-delete")
        defer { fixture.sandbox.remove() }
        _ = try fixture.edit("db.execute(\"DELETE FROM credentials WHERE id = (SELECT id FROM credentials ORDER BY id LIMIT 1)\")")
        let problems = try fixture.verifyFails()
        #expect(problems.contains("integrity digest"), "\(problems)")

        let report = try fixture.sandbox.decode(VerifyJSON.self, from: try fixture.sandbox.run(["verify", "--json"]))
        #expect(report.checked["credentials"] == 1)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("integrity digest") == true)

        // `expiring` alone reads only rows that are there; with --verify it checks the whole
        // vault first and reports that the check could not be made.
        let unchecked = try fixture.sandbox.run(["expiring", "--days", "400"])
        #expect(unchecked.exitStatus == 1, "\(unchecked)")
        try fixture.sandbox.fail(["expiring", "--days", "400", "--verify"], status: 3, mentioning: "integrity digest")
        fixture.expectNoLeaks()
    }
}

import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Issue 19, "also seen": `verify` lists the first problems and counts the rest, and the
/// listing commands never read secret columns (an integrity check bounds a secret column's
/// size before reading it).
///
/// The rows are forged with `vault_storage.py`, so the suite runs on a vault in a file and on
/// the server alike.
@Suite("Read paths stay bounded", .serialized)
struct ReadPathTests {
    /// Runs `python3 -c script arguments…` with `vault_storage` importable, requiring success.
    private func python(_ script: String, _ arguments: [String]) throws {
        let prelude = "import sys; sys.path.insert(0, \(String(reflecting: Tools.attackerDirectory)))\n"
        let result = try ProcessRunner.run(try Tools.python(), arguments: ["-c", prelude + script] + arguments, timeout: 120)
        try #require(result.succeeded, "\(result)")
    }

    @Test("verify on a vault of 1,000 forged rows lists 20 problems and counts the rest; exit 65")
    func verifyCapsItsListing() throws {
        let sandbox = try Sandbox("verify-cap")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("app")
        try python("""
            import os, vault_storage
            db = vault_storage.connect(sys.argv[1])
            app = db.execute("SELECT id FROM apps").fetchone()[0]
            db.executemany("INSERT INTO credentials (id, app, key_id_hash, state, created_at, meta) VALUES (?, ?, ?, 'previous', 0, ?)",
                           [(os.urandom(16), app, os.urandom(32), os.urandom(80)) for _ in range(1000)])
            db.commit()
            """, [sandbox.vault])
        let result = try sandbox.run(["verify"])
        #expect(result.exitStatus == 65, "\(result)")
        let lines = result.errorOutput.split(separator: "\n")
        #expect(lines.count == 21, "stderr should hold 20 problems and one count line, not \(lines.count) lines")
        #expect(lines.last?.contains("more problem(s) not listed") == true, "\(lines.last ?? "")")
        let summary = result.output.split(separator: "\n").first { $0.hasSuffix("problem(s) found.") }
        let total = summary?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        #expect(total >= 1000, "stdout should count every problem: \(result.output)")

        let json = try sandbox.run(["verify", "--json"])
        #expect(json.exitStatus == 65)
        let report = try JSONSerialization.jsonObject(with: json.standardOutput) as? [String: Any]
        #expect((report?["problems"] as? [Any])?.count == 20)
        #expect((report?["problemCount"] as? Int ?? 0) >= 1000)
    }

    @Test("list, app show and expiring with a forged 128 MB secret column stay under 100 MB of memory")
    func listingReadsNoSecretColumn() throws {
        let sandbox = try Sandbox("list-memory")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("app")
        try sandbox.addSecret("app", value: Sandbox.secretValue(), expires: "10d")
        try python("""
            import vault_storage
            db = vault_storage.connect(sys.argv[1])
            forged = "convert_to(repeat('x', 128 * 1024 * 1024), 'UTF8')" if vault_storage.on_server(db) else "zeroblob(128 * 1024 * 1024)"
            db.execute("UPDATE credentials SET secret = " + forged)
            db.commit()
            """, [sandbox.vault])
        // Peak RSS of the child, measured from outside by its parent.
        let measure = """
            import resource, subprocess, sys
            result = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
            sys.stdout.write(result.stderr.decode(errors="replace"))
            """
        for (arguments, status) in [(["list"], Int32(65)), (["app", "show", "app"], 65), (["expiring", "--days", "30"], 1)] {
            let run = try ProcessRunner.run(
                try Tools.python(), arguments: ["-c", measure, sandbox.binary] + arguments, environment: sandbox.environment, timeout: 120)
            let words = run.output.split(whereSeparator: \.isWhitespace)
            let exit = words.first.flatMap { Int32($0) }, megabytes = words.dropFirst().first.flatMap { Int($0) } ?? .max
            print("ReadPathTests: `secrets \(arguments.joined(separator: " "))` with a 128 MB forged secret: exit \(exit ?? -1), peak RSS \(megabytes) MB")
            #expect(exit == status, "\(run)")
            #expect(megabytes < 100, "`secrets \(arguments.joined(separator: " "))` peaked at \(megabytes) MB")
            if status == 65 { #expect(run.output.contains("more than any sealed secret can be"), "\(run)") }
        }
    }
}

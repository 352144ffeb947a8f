import Foundation
import ProcessHarness
import Testing

/// What a hook prints and what it inherits. A failing apply command that prints the secret it got
/// (encoded, or cut short by a character) must not get that text stored in the vault, where the
/// rotation journal is sealed under the metadata key every reader holds; the administrator sees
/// it on stderr, scrubbed. And a hook starts with stdin, stdout and stderr only: no connection to
/// the token endpoint, no database file, no pipe of this process.
@Suite("Hook output and descriptors", .serialized)
struct HookOutputTests {
    /// The forms of `value` the hook below prints, which must be found nowhere but redacted.
    static func leakedForms(of value: String) -> [String: String] {
        let base64 = Data(value.utf8).base64EncodedString()
        return [
            "base64": base64,
            "base64url": base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            "all but the last character": String(value.dropLast()),
            "hex": value.utf8.map { String(format: "%02x", $0) }.joined(),
        ]
    }

    @Test("a failing hook that prints the secret encoded leaves it nowhere a reader (or the vault file) has, and redacted on stderr")
    func failingHookOutputIsNotStored() async throws {
        let world = try await EntraRotationTests.World.make("hook-output")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let received = sandbox.directory.path("received.txt")
        // Keeps each value it gets (to know the new one), prints it four ways, then fails; so the
        // old secret given back by the undo fails too and the new one stays pending and valid.
        let hook = [
            "v=$(cat)", "printf '%s\\n' \"$v\" >> '\(received)'",
            "printf 'HOOK-SAYS base64 %s\\n' \"$(printf %s \"$v\" | base64 -w0)\" >&2",
            "printf 'HOOK-SAYS almost %s\\n' \"${v%?}\" >&2",
            "printf 'HOOK-SAYS url %s\\n' \"$(printf %s \"$v\" | base64 -w0 | tr '+/' '-_')\" >&2",
            "printf 'HOOK-SAYS hex %s\\n' \"$(printf %s \"$v\" | od -An -tx1 | tr -d ' \\n')\"",
            "exit 3",
        ].joined(separator: "; ")
        try sandbox.succeed(["app", "edit", "jamf", "--consumer", "command=\(hook)"])
        let readerIdentity = sandbox.directory.path("reader.txt")
        let readerKey = try Tools.generateKey(at: readerIdentity)
        try sandbox.directory.chmod("reader.txt", 0o600)
        try sandbox.succeed(["recipients", "add", readerKey, "--role", "reader", "--name", "monitoring"])

        let failed = try await sandbox.runAsync(["rotate", "jamf"])
        #expect(failed.exitStatus == 1, "\(failed)")
        let values = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(values.count == 2 && values[1] == world.oldSecret, "the hook should get the new secret, then the old one back: \(values.count)")
        var forms: [String: String] = [:]
        for (index, value) in values.enumerated() {
            for (name, form) in Self.leakedForms(of: value) { forms["\(index == 0 ? "new" : "old") secret, \(name)"] = form }
        }

        // The administrator sees what the hook said, with the secret cut out.
        #expect(failed.errorOutput.contains("HOOK-SAYS base64 [redacted]"), "\(failed)")
        #expect(failed.errorOutput.contains("HOOK-SAYS almost [redacted]"), "\(failed)")
        #expect(failed.errorOutput.contains("HOOK-SAYS url [redacted]"), "\(failed)")
        #expect(failed.errorOutput.contains("HOOK-SAYS hex [redacted]"), "\(failed)")
        #expect(failed.errorOutput.contains("exited with status 3"), "\(failed)")

        // What is stored says how the hook ended, and nothing it printed.
        let adminPlan = try await sandbox.succeedAsync(["rotate", "--due", "--dry-run", "--json"])
        let plan = try JSONSerialization.jsonObject(with: adminPlan.standardOutput) as? [String: Any]
        let resume = (plan?["dryRun"] as? [[String: Any]])?.flatMap { $0["resume"] as? [[String: Any]] ?? [] } ?? []
        let lastError = try #require(resume.first?["lastError"] as? String, "the open rotation should show its error: \(adminPlan)")
        #expect(lastError.contains("exited with status 3"), "\(lastError)")
        #expect(!lastError.contains("HOOK-SAYS") && !lastError.contains("[redacted]"), "hook output was stored: \(lastError)")

        let asReader = ["--identity", readerIdentity]
        var outputs = [("rotate", failed), ("admin rotate --dry-run --json", adminPlan)]
        for arguments in [["log", "--json"], ["rotate", "--due", "--dry-run", "--json"], ["list", "--json"]] {
            outputs.append(("admin " + arguments.joined(separator: " "), try await sandbox.succeedAsync(arguments)))
            outputs.append(("reader " + arguments.joined(separator: " "), try await sandbox.succeedAsync(arguments + asReader)))
        }
        let files = try sandbox.storedBytes()
        for (name, form) in forms.sorted(by: { $0.key < $1.key }) {
            for (command, result) in outputs {
                #expect(!result.output.contains(form) && !result.errorOutput.contains(form), "\(command) shows the \(name)")
            }
            for (file, bytes) in files {
                #expect(bytes.range(of: Data(form.utf8)) == nil, "the \(file) holds the \(name) in the clear")
            }
        }
    }

    @Test("a hook starts with only stdin, stdout and stderr open, even after the token endpoint was called")
    func hooksInheritNoDescriptors() async throws {
        let world = try await EntraRotationTests.World.make("hook-descriptors")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let listing = sandbox.directory.path("descriptors.txt")
        try sandbox.succeed(["app", "edit", "jamf", "--consumer", "command=ls /proc/self/fd > '\(listing)'; cat > '\(world.consumerFile)'"])
        try await sandbox.succeedAsync(["rotate", "jamf"])
        let descriptors = try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n").map(String.init)
        // 0, 1 (the listing file), 2, and the directory `ls` itself opens to read /proc/self/fd.
        #expect(descriptors == ["0", "1", "2", "3"], "the hook inherited descriptors: \(descriptors)")
        #expect(world.consumerHolds() != world.oldSecret)
    }
}

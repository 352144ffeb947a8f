import Foundation
import ProcessHarness
import Testing

/// Issue 12's attacks, each carried out by an independent implementation (TestSupport/Attacker:
/// Python's sqlite3 and cryptography modules and the stock `age` tool) against a vault whose
/// jamf app rotates at the Graph emulator and hands its secret to an apply command. After each,
/// the admin's command must refuse with 65 and say what is wrong, no hook may run, and the
/// emulator must receive nothing.
@Suite("Trust: a reader, a file writer or an old copy cannot make an admin act", .serialized)
struct TrustAttackTests {
    /// The attacker: a reader identity of the vault, and the script that edits the file.
    struct Attacker {
        let python: String
        let script: String
        let age: String
        let identity: String
        let recipient: String

        /// Adds a reader identity (made by age-keygen) to the world's vault.
        static func reader(of sandbox: Sandbox) throws -> Attacker {
            let identity = sandbox.directory.path("reader.txt")
            let recipient = try Tools.generateKey(at: identity)
            try sandbox.directory.chmod("reader.txt", 0o600)
            try sandbox.succeed(["recipients", "add", recipient, "--role", "reader", "--name", "monitoring"])
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            return Attacker(
                python: try Tools.python(), script: root.appendingPathComponent("TestSupport/Attacker/vault_attacker.py").path,
                age: try Tools.age(), identity: identity, recipient: recipient)
        }

        /// Runs one attack on the vault; returns what the script printed.
        @discardableResult
        func run(_ attack: String, vault: String, _ arguments: [String]) throws -> String {
            let result = try ProcessRunner.run(
                python, arguments: [script, attack, vault, "--age", age, "--identity", identity, "--recipient", recipient] + arguments,
                timeout: Tools.timeout)
            try #require(result.succeeded, "the attack itself failed: \(result)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Waits until no connection holds the WAL, so that the file alone is the whole vault.
    static func settle(_ sandbox: Sandbox) async throws {
        try await sandbox.succeedAsync(["verify"])
    }

    /// The admin's `command` must exit 65 naming `naming`, print nothing on stdout, and leave
    /// the hook's files unwritten and the emulator untouched.
    static func expectRefused(
        _ world: EntraRotationTests.World, _ command: [String], naming: String, stdin: String = "", untouched files: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        await world.emulator.clearRequests()
        let result = try await world.sandbox.runAsync(command, stdin: stdin)
        #expect(result.exitStatus == 65, "\(result)", sourceLocation: sourceLocation)
        #expect(result.errorOutput.contains(naming), "stderr should name \"\(naming)\": \(result)", sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, "\(result)", sourceLocation: sourceLocation)
        for file in files {
            #expect(!FileManager.default.fileExists(atPath: file), "a hook ran: \(file) exists", sourceLocation: sourceLocation)
        }
        let requests = await world.emulator.requests()
        #expect(requests.isEmpty, "the emulator was called: \(requests.map { "\($0.method) \($0.path)" })", sourceLocation: sourceLocation)
        #expect(await world.emulator.secrets(ofApp: world.jamfID).count == 1, sourceLocation: sourceLocation)
    }

    @Test("1. a reader reseals an app's apply command: rotate --due refuses, names the row, runs nothing; readers see it too")
    func readerForgesApplyCommand() async throws {
        let world = try await EntraRotationTests.World.make("attack-forged-command")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let attacker = try Attacker.reader(of: sandbox)
        try await Self.settle(sandbox)
        let pwned = sandbox.directory.path("pwned.txt")
        let row = try attacker.run("forge-command", vault: sandbox.vault, [
            "--label", "jamf", "--old", "cat > '\(world.consumerFile)'", "--new", "cat > '\(pwned)'",
        ])
        let rowID = try #require(row.split(separator: " ").dropFirst(4).first.map { String($0.dropLast()) }, "\(row)")

        try await Self.expectRefused(world, ["rotate", "--due"], naming: "apps row \(rowID)", untouched: [pwned, world.consumerFile])
        try await Self.expectRefused(world, ["rotate", "jamf", "--force"], naming: "apps row \(rowID)", untouched: [pwned, world.consumerFile])
        try await Self.expectRefused(world, ["jamf", "payload", "jamf"], naming: "apps row \(rowID)", untouched: [pwned])
        let verify = try await sandbox.runAsync(["verify"])
        #expect(verify.exitStatus == 65 && verify.errorOutput.contains("apps row \(rowID)"), "\(verify)")
        // Another reader (here the same key) cannot check the tag, but the signed digest shows the change.
        let asReader = try await sandbox.runAsync(["list"], environment: ["SECRETS_IDENTITY": attacker.identity])
        #expect(asReader.exitStatus == 65 && asReader.errorOutput.contains("signed integrity digest does not match"), "\(asReader)")
    }

    @Test("2. a file writer substitutes the admin's keyring entry and re-signs the file: the admin's pin refuses it")
    func keyringSubstitution() async throws {
        let world = try await EntraRotationTests.World.make("attack-keyring")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let attacker = try Attacker.reader(of: sandbox)
        let admin = try #require(
            try sandbox.succeed(["recipients", "list"]).output.split(separator: "\n").first { $0.contains(" admin ") }?
                .split(separator: " ").first.map(String.init))
        try await Self.settle(sandbox)
        let attackerKey = try attacker.run("substitute-keyring", vault: sandbox.vault, ["--admin", admin])
        #expect(attackerKey.count == 64)

        let stored = try await sandbox.runAsync(["secret", "add", "jamf", "--expires", "30d"], stdin: Sandbox.secretValue())
        #expect(stored.exitStatus == 65 && stored.errorOutput.contains("fingerprint"), "\(stored)")
        #expect(!stored.output.contains("Stored secret"), "\(stored)")
        try await Self.expectRefused(world, ["rotate", "jamf", "--force"], naming: "fingerprint", untouched: [world.consumerFile])
        try await Self.expectRefused(world, ["secret", "get", "jamf"], naming: "fingerprint", untouched: [])
    }

    @Test("4. an app row put back from an older copy of the file: rotate --force refuses before the old command runs")
    func rowRestoredFromOldCopy() async throws {
        let world = try await EntraRotationTests.World.make("attack-old-row")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let attacker = try Attacker.reader(of: sandbox)
        try await Self.settle(sandbox)
        let snapshot = try sandbox.snapshot()
        // The admin replaces the apply command; the snapshot still has the old one.
        let newConsumer = sandbox.directory.path("consumer-new.txt")
        try await sandbox.succeedAsync(["app", "edit", "jamf", "--clear-consumers", "--consumer", "command=cat > '\(newConsumer)'"])
        try await Self.settle(sandbox)
        try attacker.run("restore-row", vault: sandbox.vault, ["--from", snapshot, "--label", "jamf"])

        try await Self.expectRefused(
            world, ["rotate", "jamf", "--force"], naming: "put back from an older copy", untouched: [world.consumerFile, newConsumer])
        try await Self.expectRefused(world, ["rollback", "jamf", "--yes"], naming: "put back from an older copy", untouched: [world.consumerFile, newConsumer])
    }
}

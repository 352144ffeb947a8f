import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// A vault that uses every table and every sealed column, built once per test process and copied
/// for each tamper case, with the output of every reading command on it before any damage.
///
/// Rows are found by SQLite's `rowid`, which follows insertion order here (rows are only ever
/// updated in place), so a case can name "beta's app row" without knowing its random id:
///
/// | table | rowid |
/// |---|---|
/// | keyring | 1 admin (named), 2 reader (named) |
/// | apps | 1 alpha, 2 beta, 3 gamma |
/// | credentials | 1 alpha's old secret (now previous), 2 beta, 3 gamma, 4 alpha's current |
/// | rotations | 1 alpha's finished manual rotation, 2 beta's rotation that found no value, 3 alpha's open retirement |
/// | audit | 1 … n in sequence order |
final class TamperVault: Sendable {
    /// The one pristine vault of this test process (built on first use).
    static let shared: Result<TamperVault, any Error> = Result { try TamperVault() }

    let directory: TemporaryDirectory
    let readerIdentity: String
    let exportKey: String
    let exportRecipient: String
    /// A second vault with the same admin identity and the same reader, whose keyring rows the
    /// foreign-keyring cases copy in.
    let other: String
    /// The secret value of each credential, by credential rowid.
    let values: [Int: String]
    /// Alpha's previous key ID (for `secret get --key-id`).
    let alphaOldKeyID: String
    /// The vault file, checkpointed, as it was before any damage.
    let pristine: Data
    /// What every probe printed on the pristine vault.
    let baseline: [String: TamperProbe.Outcome]

    private init() throws {
        // Built on a file, whichever the pass: the cases are edits of the file (see ``copy(_:)``).
        let sandbox = try Sandbox("tamper-pristine", store: .sqlite)
        directory = sandbox.directory
        // Nothing else removes the pristine copy: it lives as long as the test process.
        atexit { if case .success(let vault) = TamperVault.shared { vault.directory.remove() } }
        try sandbox.succeed(["init", "--no-passphrase", "--name", "pristine admin"])
        readerIdentity = directory.path("reader.txt")
        let reader = try Tools.generateKey(at: readerIdentity)
        try sandbox.succeed(["recipients", "add", reader, "--role", "reader", "--name", "monitoring host"])
        other = directory.path("other.sqlite")
        try sandbox.succeed(["init", "--no-passphrase", "--vault", other])
        try sandbox.succeed(["recipients", "add", reader, "--role", "reader", "--vault", other])
        exportKey = directory.path("export-key.txt")
        exportRecipient = try Tools.generateKey(at: exportKey)

        let consumer = directory.path("consumer.txt")
        try sandbox.succeed([
            "app", "add", "alpha", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com",
            "--consumer", "command=cat > '\(consumer)'", "--notes", "the alpha app",
        ])
        try sandbox.addApp("beta")
        try sandbox.addApp("gamma")
        var values: [Int: String] = [:]
        var keyIDs: [Int: String] = [:]
        for (rowid, label) in [(1, "alpha"), (2, "beta"), (3, "gamma")] {
            values[rowid] = Sandbox.secretValue()
            keyIDs[rowid] = try sandbox.addSecret(label, value: values[rowid]!, expires: "\(20 + rowid)d")
        }
        alphaOldKeyID = try #require(keyIDs[1])
        // A manual rotation of alpha: a finished journal row and a current + previous pair.
        values[4] = Sandbox.secretValue()
        try sandbox.succeed(["rotate", "alpha", "--key-id", Sandbox.guid(), "--expires", "180d"], stdin: values[4]!)
        // Beta's rotation waits for a person to type a value (a closed, failed journal row), and
        // retiring alpha's old secret waits for the person to confirm its removal (an open one).
        for arguments in [["rotate", "beta"], ["rotate", "--retire-now", "alpha", "--yes"]] {
            let waiting = try sandbox.run(arguments)
            try #require(waiting.exitStatus == 75, "\(waiting)")
        }
        self.values = values
        // The last connection to close checkpoints the WAL, so every row is in the main file.
        try sandbox.succeed(["verify"])
        let wal = sandbox.vault + "-wal"
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        try #require(walSize == 0, "\(wal) still holds \(walSize) bytes after the last connection closed")
        pristine = try directory.read("vault.sqlite")

        var baseline: [String: TamperProbe.Outcome] = [:]
        let probes = TamperProbe.all(alphaOldKeyID: alphaOldKeyID)
        // In the PostgreSQL pass, what the probes print on the pristine rows published to a schema.
        let probed = VaultStore.default == .postgresql ? try Self.published(pristine, from: directory, as: "tamper-baseline", reader: readerIdentity) : sandbox
        defer { if probed !== sandbox { probed.remove() } }
        for probe in probes {
            baseline[probe.name] = try probe.run(
                in: probed, readerIdentity: readerIdentity, exportKey: exportKey, exportRecipient: exportRecipient)
        }
        self.baseline = baseline
        for (name, outcome) in baseline {
            try #require(outcome.status == TamperProbe.pristineStatus[name, default: 0], "\(name) on the pristine vault: \(outcome)")
        }
    }

    /// A new sandbox holding a copy of the pristine vault and the same identities.
    ///
    /// The cases edit `vault.sqlite` in the sandbox's directory. In the PostgreSQL pass the
    /// sandbox's vault is a schema on the server instead, and ``TamperSuiteTests`` publishes each
    /// edited file to it row for row (``publish(_:)``), so that the damage is in front of the
    /// vault's code on the server.
    func copy(_ name: String) throws -> Sandbox {
        VaultStore.default == .postgresql ? try Self.published(pristine, from: directory, as: name, reader: readerIdentity) : try Self.fileCopy(pristine, from: directory, as: name)
    }

    private static func fileCopy(_ pristine: Data, from directory: TemporaryDirectory, as name: String) throws -> Sandbox {
        let sandbox = try Sandbox(name, store: .sqlite)
        try sandbox.directory.write(pristine, to: "vault.sqlite")
        try sandbox.directory.write(try directory.read("identity.txt"), to: "identity.txt")
        // The admin's pin too: the copy is the same vault, not a first use.
        try sandbox.directory.write(try directory.read("known_vaults"), to: "known_vaults")
        return sandbox
    }

    /// A sandbox whose vault is a fresh schema holding the pristine rows: its tables made by an
    /// `init` of a throwaway identity, every row then replaced by the file's, and the location
    /// pinned by the admin and the reader while the rows are still pristine.
    private static func published(_ pristine: Data, from directory: TemporaryDirectory, as name: String, reader: String) throws -> Sandbox {
        let sandbox = try Sandbox(name, store: .postgresql)
        try FileManager.default.createDirectory(atPath: sandbox.directory.path("scratch"), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try sandbox.succeed(["init", "--no-passphrase"], environment: ["SECRETS_IDENTITY": sandbox.directory.path("scratch/identity.txt")])
        try sandbox.directory.write(pristine, to: "vault.sqlite")
        try sandbox.directory.write(try directory.read("identity.txt"), to: "identity.txt")
        try sandbox.directory.write(try directory.read("known_vaults"), to: "known_vaults")
        try publish(sandbox)
        try sandbox.succeed(["verify"])
        try sandbox.succeed(["verify"], environment: ["SECRETS_IDENTITY": reader])
        return sandbox
    }

    /// Puts the rows of the sandbox's `vault.sqlite` in its vault on the server, as they are.
    static func publish(_ sandbox: Sandbox) throws {
        let result = try ProcessRunner.run(
            try Tools.python(), arguments: [Tools.attackerDirectory + "/publish_to_server.py", sandbox.directory.path("vault.sqlite"), sandbox.vault],
            timeout: Tools.timeout)
        try #require(result.succeeded, "publishing the edited file failed: \(result)")
    }
}

/// A command that reads the vault, run on the pristine vault and again on each damaged copy.
struct TamperProbe: Sendable {
    /// How a run ended: its status and what it printed on stdout (with anything that changes
    /// from run to run, such as an export's time, taken out).
    struct Outcome: Sendable, Equatable, CustomStringConvertible {
        var status: Int32
        var output: String
        var errorOutput: String
        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(errorOutput)" }
    }

    let name: String
    let arguments: [String]
    var asReader = false
    /// `export`: the output file is decrypted with the stock `age` and compared without `exportedAt`.
    var exports = false

    /// The status a damaged vault gives: 65, or `expiring`'s "could not check".
    var damagedStatus: Int32 { arguments.first == "expiring" ? 3 : 65 }

    /// Probes that do not exit 0 on the pristine vault.
    static let pristineStatus: [String: Int32] = ["expiring": 1, "expiring (reader)": 1, "expiring --verify": 1]

    static func all(alphaOldKeyID: String) -> [TamperProbe] {
        [
            TamperProbe(name: "list", arguments: ["list", "--json"]),
            TamperProbe(name: "app list", arguments: ["app", "list", "--json"]),
            TamperProbe(name: "app show alpha", arguments: ["app", "show", "alpha", "--json"]),
            TamperProbe(name: "app show beta", arguments: ["app", "show", "beta", "--json"]),
            TamperProbe(name: "app show gamma", arguments: ["app", "show", "gamma", "--json"]),
            TamperProbe(name: "secret get alpha", arguments: ["secret", "get", "alpha"]),
            TamperProbe(name: "secret get alpha --key-id", arguments: ["secret", "get", "alpha", "--key-id", alphaOldKeyID]),
            TamperProbe(name: "secret get beta", arguments: ["secret", "get", "beta"]),
            TamperProbe(name: "secret get gamma", arguments: ["secret", "get", "gamma"]),
            TamperProbe(name: "expiring", arguments: ["expiring", "--days", "400"]),
            TamperProbe(name: "expiring (reader)", arguments: ["expiring", "--days", "400"], asReader: true),
            TamperProbe(name: "expiring --verify", arguments: ["expiring", "--days", "400", "--verify"]),
            TamperProbe(name: "log", arguments: ["log", "--json"]),
            TamperProbe(name: "recipients list", arguments: ["recipients", "list", "--json"]),
            TamperProbe(name: "rotate --dry-run", arguments: ["rotate", "--all", "--dry-run", "--json"]),
            TamperProbe(name: "export", arguments: ["export", "--recipient"], exports: true),
        ]
    }

    func run(in sandbox: Sandbox, vault: TamperVault) throws -> Outcome {
        try run(in: sandbox, readerIdentity: vault.readerIdentity, exportKey: vault.exportKey, exportRecipient: vault.exportRecipient)
    }

    func run(in sandbox: Sandbox, readerIdentity: String, exportKey: String, exportRecipient: String) throws -> Outcome {
        var arguments = self.arguments
        let exported = sandbox.directory.path("export.age")
        if exports {
            unlink(exported)
            arguments += [exportRecipient, "-o", exported]
        }
        let result = try sandbox.run(arguments, environment: asReader ? ["SECRETS_IDENTITY": readerIdentity] : [:])
        var outcome = Outcome(status: result.exitStatus ?? -1, output: Self.withoutNewExpiry(result.output), errorOutput: result.errorOutput)
        if exports {
            if result.succeeded {
                let decrypted = try ProcessRunner.run(try Tools.age(), arguments: ["-d", "-i", exportKey, exported], timeout: Tools.timeout)
                try #require(decrypted.succeeded, "\(decrypted)")
                outcome.output += Self.withoutExportTime(decrypted.standardOutput)
            } else {
                #expect(!FileManager.default.fileExists(atPath: exported), "a failed export left \(exported) behind")
            }
        }
        return outcome
    }

    /// A dry run's new expiry is now + lifetime, so it changes from run to run.
    static func withoutNewExpiry(_ text: String) -> String {
        text.replacing(#/(newExpiry" : "|expiring )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/#) { "\($0.output.1)(now + lifetime)" }
    }

    /// The export document as sorted JSON without its `exportedAt`, which differs from run to run.
    static func withoutExportTime(_ data: Data) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return "(not JSON)" }
        object["exportedAt"] = nil
        guard let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "(not JSON)" }
        return String(decoding: sorted, as: UTF8.self)
    }
}

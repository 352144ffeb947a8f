import Foundation
import ProcessHarness
import Testing

/// The vault's fingerprint from a recipient's side: `recipients add` hands it out, the new
/// recipient's first command checks it (`SECRETS_VAULT_FINGERPRINT`) and pins it, a rekey is
/// followed, a replaced file is refused, and a reader keeps every read it had.
@Suite("Vault pins and readers", .serialized)
struct VaultPinTests {
    /// A vault with one app and secret, and a reader whose pins are kept in their own file.
    private struct World {
        let sandbox: Sandbox
        let readerIdentity: String
        let readerPins: String
        let fingerprint: String

        init(_ name: String) throws {
            sandbox = try Sandbox(name)
            try sandbox.initVault()
            try sandbox.addApp("alpha")
            try sandbox.addSecret("alpha", value: Sandbox.secretValue(), expires: "20d")
            readerIdentity = sandbox.directory.path("reader.txt")
            readerPins = sandbox.directory.path("reader-known-vaults")
            let recipient = try Tools.generateKey(at: readerIdentity)
            try sandbox.directory.chmod("reader.txt", 0o600)
            let added = try sandbox.succeed(["recipients", "add", recipient, "--role", "reader"])
            let line = try #require(added.output.split(separator: "\n").first { $0.hasPrefix("Vault fingerprint: ") }, "\(added)")
            fingerprint = String(line.dropFirst("Vault fingerprint: ".count))
            #expect(fingerprint.hasPrefix("SHA256:") && fingerprint.count == 50, "\(fingerprint)")
            #expect(added.output.contains("SECRETS_VAULT_FINGERPRINT=\(fingerprint)"))
        }

        func asReader(_ arguments: [String], expecting: String? = nil) throws -> ProcessResult {
            var environment: [String: String?] = ["SECRETS_IDENTITY": readerIdentity, "SECRETS_KNOWN_VAULTS": readerPins]
            if let expecting { environment["SECRETS_VAULT_FINGERPRINT"] = expecting }
            return try sandbox.run(arguments, environment: environment)
        }

        func pins() -> String { (try? String(contentsOfFile: readerPins, encoding: .utf8)) ?? "" }
    }

    @Test("a reader checks the fingerprint it was given, pins it, keeps list/expiring/log/rotate --dry-run, and follows a rekey")
    func readerPinsReadsAndFollowsRekey() throws {
        let world = try World("pin-reader")
        defer { world.sandbox.remove() }
        let wrong = "SHA256:" + String(repeating: "B", count: 43)
        let refused = try world.asReader(["list"], expecting: wrong)
        #expect(refused.exitStatus == 65 && refused.errorOutput.contains("not the \(wrong) you were given"), "\(refused)")
        #expect(refused.standardOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: world.readerPins), "a refused fingerprint was pinned")

        let first = try world.asReader(["list"], expecting: world.fingerprint)
        #expect(first.succeeded && first.output.contains("alpha"), "\(first)")
        #expect(first.errorOutput.contains("pinned vault"), "\(first)")
        #expect(world.pins().contains(world.fingerprint))
        #expect(RawMode.of(world.readerPins) == 0o600)

        // Everything a reader could do before, it still can; nothing about the pin is said again.
        let expiring = try world.asReader(["expiring", "--days", "30"])
        #expect(expiring.exitStatus == 1 && expiring.output.contains("alpha"), "\(expiring)")
        for arguments in [["log"], ["rotate", "--due", "--dry-run"], ["verify"], ["list", "--json"]] {
            let result = try world.asReader(arguments)
            #expect(result.succeeded && result.errorOutput.isEmpty, "\(result)")
        }
        let get = try world.asReader(["secret", "get", "alpha"])
        #expect(get.exitStatus == 77 && get.standardOutput.isEmpty, "\(get)")

        let rekeyed = try world.sandbox.succeed(["rekey"])
        let line = try #require(rekeyed.output.split(separator: "\n").first { $0.hasPrefix("New vault fingerprint: ") }, "\(rekeyed)")
        let next = String(line.dropFirst("New vault fingerprint: ".count).prefix(50))
        #expect(next != world.fingerprint)
        let followed = try world.asReader(["list"])
        #expect(followed.succeeded && followed.errorOutput.contains("followed the endorsed authority keys"), "\(followed)")
        #expect(world.pins().contains(next) && !world.pins().contains(world.fingerprint))
        let shown = try world.asReader(["fingerprint"])
        #expect(shown.output.contains("Fingerprint: \(next)") && shown.output.contains("Pinned:      the same"), "\(shown)")
    }

    @Test("a file replaced by another vault wrapped to the same identities is refused until its fingerprint is accepted")
    func replacedVaultIsRefused() throws {
        let world = try World("pin-replaced")
        defer { world.sandbox.remove() }
        _ = try world.asReader(["list"], expecting: world.fingerprint)
        // An intruder who can write the directory makes a vault of its own and adds the admin's
        // and the reader's public keys to it, then puts it in place of the real one.
        let intruder = try Sandbox("pin-intruder")
        defer { intruder.remove() }
        try intruder.initVault()
        try intruder.addApp("alpha")
        let recipients = try world.sandbox.succeed(["recipients", "list", "--json"])
        let listed = try JSONSerialization.jsonObject(with: recipients.standardOutput) as? [[String: Any]] ?? []
        for entry in listed {
            try intruder.succeed(["recipients", "add", entry["recipient"] as? String ?? "", "--role", entry["role"] as? String ?? ""])
        }
        try intruder.succeed(["verify"])
        try world.sandbox.succeed(["verify"])
        try world.sandbox.replaceVault(with: intruder)

        try world.sandbox.fail(["app", "edit", "alpha", "--notes", "x"], status: 65, mentioning: "the file was replaced")
        let reader = try world.asReader(["list"])
        #expect(reader.exitStatus == 65 && reader.errorOutput.contains("the file was replaced"), "\(reader)")

        let shown = try world.sandbox.succeed(["fingerprint"])
        #expect(shown.output.contains("REPLACED"), "\(shown)")
        let other = try #require(shown.output.split(separator: "\n").first { $0.hasPrefix("Fingerprint: ") }.map { String($0.dropFirst(13)) })
        try world.sandbox.fail(["fingerprint", "--accept", world.fingerprint], status: 65, mentioning: "nothing was pinned")
        try world.sandbox.succeed(["fingerprint", "--accept", other])
        try world.sandbox.succeed(["list"])
    }
}

/// Permission bits of a file.
enum RawMode {
    static func of(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}

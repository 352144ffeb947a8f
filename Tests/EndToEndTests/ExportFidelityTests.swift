import Foundation
import ProcessHarness
import Testing

/// An export is a backup: importing it must give back every secret value byte for byte.
@Suite("Export fidelity")
struct ExportFidelityTests {
    /// Stores `value`, exports to an age-keygen key, imports into a fresh vault and returns what
    /// `secret get` prints there; `nil` when `secret add` refused the value with 64.
    private func roundTrip(_ value: Data, name: String) throws -> (stored: Data, restored: Data)? {
        let source = try Sandbox(name)
        defer { source.remove() }
        let target = try Sandbox(name + "-target")
        defer { target.remove() }
        try source.initVault()
        try source.addApp("jamf-intune")
        let added = try source.run(["secret", "add", "jamf-intune", "--expires", "90d"], stdin: value)
        if added.exitStatus == 64 {
            Sandbox.expectOneLineError(added)
            return nil
        }
        try #require(added.succeeded, "\(added)")
        let stored = try source.succeed(["secret", "get", "jamf-intune"]).standardOutput

        let keyFile = source.directory.path("key.txt")
        let publicKey = try Tools.generateKey(at: keyFile)
        let exportFile = source.directory.path("export.age")
        try source.succeed(["export", "--recipient", publicKey, "-o", exportFile])
        try target.initVault()
        // Another vault's export (no actions: the app has no rotator or consumer).
        try target.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--from-other-vault"])
        let restored = try target.succeed(["secret", "get", "jamf-intune"]).standardOutput
        return (stored, restored)
    }

    @Test("a UTF-8 value with spaces, tabs and non-ASCII letters survives export and import")
    func unicodeValue() throws {
        let value = Data("  pässwörd ~ 秘密\twith spaces  ".utf8)
        let result = try #require(try roundTrip(value, name: "fidelity-utf8"))
        #expect(result.stored == value)
        #expect(result.restored == value)
    }

    /// The export carries values as JSON strings, so a value that is not UTF-8 text could not
    /// survive it exactly; `secret add` refuses such a value up front (64).
    @Test("a value that is not UTF-8 is refused at add")
    func nonUTF8Value() throws {
        let value = Data([0x51, 0x38, 0x7E]) + Data([0xFF, 0xFE, 0x80]) + Data("tail".utf8)
        #expect(try roundTrip(value, name: "fidelity-bytes") == nil)
    }
    @Test("an armored export (--armor) is what age -a writes: the stock age -d opens it, import reads it back")
    func armoredExport() throws {
        let source = try Sandbox("fidelity-armor")
        defer { source.remove() }
        let target = try Sandbox("fidelity-armor-target")
        defer { target.remove() }
        try source.initVault()
        try source.addApp("jamf-intune")
        let value = Sandbox.secretValue()
        try source.addSecret("jamf-intune", value: value)
        let keyFile = source.directory.path("key.txt")
        let publicKey = try Tools.generateKey(at: keyFile)
        let exportFile = source.directory.path("export.age.txt")
        try source.succeed(["export", "--recipient", publicKey, "--armor", "-o", exportFile])
        let text = String(decoding: try source.directory.read("export.age.txt"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "-----BEGIN AGE ENCRYPTED FILE-----" && lines.dropLast().last == "-----END AGE ENCRYPTED FILE-----" && lines.last == "")
        #expect(lines.dropFirst().dropLast(2).allSatisfy { $0.count <= 64 && $0.allSatisfy(\.isASCII) })
        let opened = try ProcessRunner.run(try Tools.age(), arguments: ["-d", "-i", keyFile, exportFile], timeout: 60)
        #expect(opened.succeeded && opened.output.contains("secrets-export"), "\(opened)")
        try target.initVault()
        try target.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--from-other-vault"])
        #expect(try target.succeed(["secret", "get", "jamf-intune"]).output == value)
        // One character changed in the armor: refused, nothing imported.
        let damaged = text.replacingOccurrences(of: "-----END AGE ENCRYPTED FILE-----", with: "-----END AGE ENCRYPTED FILE-----x")
        let damagedFile = try source.directory.write(damaged, to: "damaged.age.txt", mode: 0o600)
        let refused = try target.run(["import", damagedFile, "--decrypt-identity", keyFile, "--from-other-vault"])
        #expect(refused.exitStatus == 65 && refused.errorOutput.contains("armor"), "\(refused)")
    }
}

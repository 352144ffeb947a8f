import Foundation
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
}

import Foundation
import Testing

/// A `reader` recipient (a monitoring host) holds the metadata key only: it can list and check
/// expiry, never read or export a secret. An identity that is not a recipient opens nothing.
@Suite("Roles")
struct RoleTests {
    /// An admin vault with one app and secret, plus a reader identity made by `age-keygen`.
    private func makeVault(_ name: String, secret: String) throws -> (Sandbox, reader: String, readerKey: String) {
        let sandbox = try Sandbox(name)
        try sandbox.initVault()
        try sandbox.addApp("jamf-intune")
        try sandbox.addSecret("jamf-intune", value: secret, expires: "20d")
        let reader = sandbox.directory.path("reader.txt")
        let readerKey = try Tools.generateKey(at: reader)
        try sandbox.directory.chmod("reader.txt", 0o600)
        let added = try sandbox.succeed(["recipients", "add", readerKey, "--role", "reader", "--name", "monitoring"])
        #expect(added.output.contains("Added reader \(readerKey)"))
        return (sandbox, reader, readerKey)
    }

    @Test("a reader lists and checks expiry but cannot read or export a secret")
    func readerRole() throws {
        let secret = Sandbox.secretValue()
        let (sandbox, reader, readerKey) = try makeVault("roles-reader", secret: secret)
        defer { sandbox.remove() }
        let asReader = ["--identity", reader]

        let list = try sandbox.succeed(["list"] + asReader)
        #expect(list.output.contains("jamf-intune"))
        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"] + asReader))
        #expect(rows.map(\.label) == ["jamf-intune"])
        #expect(rows.first?.status == "due")

        let expiring = try sandbox.run(["expiring", "--days", "30", "--json"] + asReader)
        #expect(expiring.exitStatus == 1, "\(expiring)")
        #expect(try sandbox.decode(ExpiringReport.self, from: expiring).credentials.map(\.label) == ["jamf-intune"])
        let quiet = try sandbox.run(["expiring", "--days", "5"] + asReader)
        #expect(quiet.exitStatus == 0, "\(quiet)")

        let verified = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"] + asReader))
        #expect(verified.secretValuesSkipped)
        #expect(verified.problems.isEmpty)

        try sandbox.fail(["secret", "get", "jamf-intune"] + asReader, status: 77, mentioning: "reader")
        let exportFile = sandbox.directory.path("reader-export.age")
        try sandbox.fail(["export", "--recipient", readerKey, "-o", exportFile] + asReader, status: 77, mentioning: "reader")
        #expect(!sandbox.directory.contains("reader-export.age"), "a refused export left a file behind")
        try sandbox.fail(["secret", "add", "jamf-intune", "--expires", "90d"] + asReader, status: 77, mentioning: "reader",
                         stdin: Sandbox.secretValue())
        let stranger = try Tools.generateKey(at: sandbox.directory.path("stranger.txt"))
        try sandbox.fail(["recipients", "add", stranger, "--role", "admin"] + asReader, status: 77, mentioning: "reader")
        try sandbox.fail(["rekey"] + asReader, status: 77, mentioning: "reader")

        let recipients = try sandbox.decode([RecipientJSON].self, from: try sandbox.succeed(["recipients", "list", "--json"]))
        #expect(recipients.count == 2)
        #expect(recipients.map(\.role).sorted() == ["admin", "reader"])
        let readerEntry = try #require(recipients.first { $0.role == "reader" })
        #expect(readerEntry.recipient == readerKey)
        #expect(readerEntry.name == "monitoring")
        #expect(recipients.first { $0.role == "admin" }?.recipient.hasPrefix("age1") == true)

        sandbox.expectNoLeak(of: secret)
    }

    @Test("an identity that is not a recipient cannot open the vault")
    func notARecipient() throws {
        let (sandbox, _, _) = try makeVault("roles-stranger", secret: Sandbox.secretValue())
        defer { sandbox.remove() }
        let stranger = sandbox.directory.path("stranger.txt")
        let strangerKey = try Tools.generateKey(at: stranger)
        try sandbox.directory.chmod("stranger.txt", 0o600)
        let refused = try sandbox.fail(["list", "--identity", stranger], status: 77, mentioning: "not a recipient")
        #expect(refused.errorOutput.contains(strangerKey))
        try sandbox.fail(["secret", "get", "jamf-intune", "--identity", stranger], status: 77, mentioning: "not a recipient")
        try sandbox.fail(["expiring", "--identity", stranger], status: 3, mentioning: "not a recipient")
    }

    /// A reader holds the metadata key, so only the tool's own check stops it from changing
    /// metadata; removing an app would also delete secret values it can never read.
    @Test("a reader cannot add, edit or remove apps")
    func readerCannotChangeApps() throws {
        let secret = Sandbox.secretValue()
        let (sandbox, reader, _) = try makeVault("roles-write", secret: secret)
        defer { sandbox.remove() }
        let asReader = ["--identity", reader]
        try sandbox.fail(["app", "remove", "jamf-intune", "--yes"] + asReader, status: 77, mentioning: "reader")
        try sandbox.fail(["app", "edit", "jamf-intune", "--notes", "changed by a reader"] + asReader, status: 77, mentioning: "reader")
        try sandbox.fail(
            ["app", "add", "reader-app", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com"] + asReader,
            status: 77, mentioning: "reader")

        let apps = try sandbox.decode([AppJSON].self, from: try sandbox.succeed(["app", "list", "--json"]))
        #expect(apps.map(\.label) == ["jamf-intune"])
        #expect(apps.first?.notes == "")
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"]).standardOutput == Data(secret.utf8))
        let log = try sandbox.decode([LogEntryJSON].self, from: try sandbox.succeed(["log", "--json"]))
        #expect(!log.contains { ["app.remove", "app.edit"].contains($0.action) || $0.app == "reader-app" })
        try sandbox.succeed(["verify"])
        sandbox.expectNoLeak(of: secret)
    }
}

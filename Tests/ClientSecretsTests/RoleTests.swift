import Age
import CryptoPrimitives
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

@Suite("Roles and recipients")
struct RoleTests {
    /// A vault with one app and secret, and a reader recipient.
    private func makeVault() throws -> (VaultHarness, Vault, X25519Identity) {
        let (harness, vault) = try VaultHarness.make()
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, name: "monitoring host", now: Sample.now)
        try vault.addApp(Sample.app("Orders"), now: Sample.now)
        try vault.addSecret(to: "Orders", value: Sample.value("reader-must-not-see-this"), expires: Sample.at(days: 10), now: Sample.now)
        return (harness, vault, reader)
    }

    @Test("a reader lists apps and expiry but cannot read, export or store secrets")
    func readerPermissions() throws {
        let (harness, admin, readerIdentity) = try makeVault()
        defer { harness.remove() }
        let reader = try harness.open([readerIdentity])
        #expect(reader.role == .reader)
        #expect(admin.role == .admin)
        #expect(reader.vaultID == admin.vaultID)
        #expect(try reader.overview() == admin.overview())
        #expect(try reader.app("orders").app.label == "Orders")
        #expect(try reader.expiring(within: 30 * Sample.day, now: Sample.now).map(\.app.label) == ["Orders"])
        #expect(try reader.auditLog() == admin.auditLog())
        let report = try reader.verify()
        #expect(report.isClean)
        #expect(report.secretValuesSkipped)
        #expect(report.secretValuesChecked == 0)

        #expect(expectVaultError { try reader.secretValue(of: "Orders") }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.exportDocument() }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.addSecret(to: "Orders", value: Sample.value("new"), expires: nil) }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.addRecipient(try X25519Identity.generate().recipient, role: .admin) }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.removeRecipient(harness.admin.recipient.description) }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.rekey() }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.importDocument(admin.exportDocument()) }?.isNotAuthorized == true)
        // Metadata changes are refused too: the reader holds the metadata key, so only the API stops it.
        #expect(expectVaultError { try reader.addApp(Sample.app("Mallory")) }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.editApp("Orders") { $0.notes = "changed by a reader" } }?.isNotAuthorized == true)
        #expect(expectVaultError { try reader.removeApp("Orders") }?.isNotAuthorized == true)
        let azure = try AzureApplicationsDocument.parse(Data(#"[{"appId": "\#(Sample.guid())", "displayName": "x", "passwordCredentials": []}]"#.utf8), appID: nil)
        #expect(expectVaultError { try reader.importAzure(azure, tenant: "contoso.onmicrosoft.com", cloud: .global) }?.isNotAuthorized == true)
        #expect(try admin.app("Orders").app.notes == Sample.app("Orders").notes)
        #expect(try admin.overview().count == 1)
        // Nothing the reader tried changed the vault.
        #expect(try admin.overview(of: "Orders").credentials.count == 1)
        #expect(try admin.recipients().count == 2)
    }

    @Test("the reader's keyring entry holds the metadata key only", .sqliteFile)
    func readerEntryHasNoSecretKey() throws {
        let (harness, admin, readerIdentity) = try makeVault()
        defer { harness.remove() }
        let rows = try RawVaultFile.read(harness.path) { db in
            try Row.fetchAll(db, sql: "SELECT role, recipient, wrapped FROM keyring")
        }
        try #require(rows.count == 2)
        func wrapped(_ role: Role) throws -> [UInt8] {
            let row = try #require(rows.first { $0["role"] == role.rawValue })
            return [UInt8](row["wrapped"] as Data)
        }
        let readerRow = try #require(rows.first { $0["role"] == "reader" })
        #expect(readerRow["recipient"] == readerIdentity.recipient.description)

        let readerPlain = try AgeFile.decrypt(try wrapped(.reader), identities: [readerIdentity])
        let adminPlain = try AgeFile.decrypt(try wrapped(.admin), identities: [harness.admin])
        #expect(readerPlain.count == 19 + 1 + 4 + 16 + 32)
        #expect(adminPlain.count == 19 + 1 + 4 + 16 + 32 + 32)
        let readerBytes = readerPlain.withUnsafeBytes { Array($0) }
        let adminBytes = adminPlain.withUnsafeBytes { Array($0) }
        let magic = Array("secrets-keyring-v1\n".utf8)
        #expect(Array(readerBytes.prefix(19)) == magic)
        #expect(Array(adminBytes.prefix(19)) == magic)
        #expect(readerBytes[19] == 2)
        #expect(adminBytes[19] == 1)
        #expect(Array(adminBytes[20..<24]) == [0, 0, 0, 1], "generation 1, big-endian")
        #expect(Hex.encode(adminBytes[24..<40]) == admin.vaultID)
        // Same generation, vault id and metadata key; the admin's extra 32 bytes are the secret key.
        #expect(readerBytes[20...] == adminBytes[20..<72])
        let secretKey = Array(adminBytes[72...])
        #expect(!readerBytes.containsSubsequence(secretKey))
        #expect(secretKey != [UInt8](repeating: 0, count: 32))

        // Neither identity opens the other's entry.
        #expect(throws: AgeError.noMatchingIdentity) { try AgeFile.decrypt(try wrapped(.admin), identities: [readerIdentity]) }
        #expect(throws: AgeError.noMatchingIdentity) { try AgeFile.decrypt(try wrapped(.reader), identities: [harness.admin]) }
    }

    @Test("the only admin cannot be removed; a reader can")
    func removingRecipients() throws {
        let (harness, admin, readerIdentity) = try makeVault()
        defer { harness.remove() }
        #expect(expectVaultError { try admin.removeRecipient(harness.admin.recipient.description) }?.isRecipientProblem == true)
        #expect(expectVaultError { try admin.addRecipient(readerIdentity.recipient, role: .admin) }?.isRecipientProblem == true)
        #expect(expectVaultError { try admin.removeRecipient(try X25519Identity.generate().recipient.description) }?.isRecipientNotFound == true)

        let recipients = try admin.recipients()
        #expect(Set(recipients.map(\.recipient)) == [harness.admin.recipient.description, readerIdentity.recipient.description])
        #expect(recipients.first { $0.role == .reader }?.name == "monitoring host")
        #expect(recipients.first { $0.role == .admin }?.name == "test admin")

        try admin.removeRecipient(readerIdentity.recipient.description, now: Sample.at(days: 1))
        #expect(try admin.recipients().map(\.role) == [.admin])
        let reason = expectVaultError { try harness.open([readerIdentity]) }?.cannotUnlockReason
        #expect(reason?.contains(readerIdentity.recipient.description) == true)
        #expect(try admin.verify().isClean)
    }

    @Test("a second admin can read secrets, and then the first admin can be removed")
    func secondAdmin() throws {
        let (harness, admin, _) = try makeVault()
        defer { harness.remove() }
        let second = try X25519Identity.generate()
        try admin.addRecipient(second.recipient, role: .admin, now: Sample.now)
        let other = try harness.open([second])
        #expect(other.role == .admin)
        #expect(Sample.text(try other.secretValue(of: "Orders")) == "reader-must-not-see-this")
        try other.removeRecipient(harness.admin.recipient.description)
        #expect(expectVaultError { try harness.open() }?.cannotUnlockReason != nil)
        #expect(expectVaultError { try other.removeRecipient(second.recipient.description) }?.isRecipientProblem == true)
    }

    @Test("an identity that is not a recipient cannot unlock")
    func stranger() throws {
        let (harness, _, readerIdentity) = try makeVault()
        defer { harness.remove() }
        let stranger = try X25519Identity.generate()
        let reason = expectVaultError { try harness.open([stranger]) }?.cannotUnlockReason
        #expect(reason?.contains(stranger.recipient.description) == true)
        // With several identities, the first one that is a recipient unlocks.
        #expect(try harness.open([stranger, readerIdentity]).role == .reader)
        #expect(try harness.open([stranger, harness.admin]).role == .admin)
    }
}

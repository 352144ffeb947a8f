import Age
import Foundation
import GRDB
import Testing

@testable import ClientSecrets
import ProcessHarness

@Suite("Confidentiality at rest")
struct ConfidentialityTests {
    /// Distinctive values that must never appear in clear in the vault's files.
    static let label = "Zephyr-Quokka-Label-7731"
    static let appID = "5eedf00d-cafe-4bad-9ee1-0123456789ab"
    static let tenant = "marmalade-tenant-9931.onmicrosoft.com"
    static let notes = "the quokka notes 5521 mention the secret rotation runbook"
    static let secret = "Qk7~SecretValueXyzzy.Plugh-88123-Frobozz"
    static let keyID = "b0a710ad-beef-4c0d-9e11-feedface0042"
    static let displayName = "quokka-display-name-6610"
    static let tag = "tag-quokka-4412"
    static let consumerTarget = "https://jamf-quokka-3307.example.com"
    static let recipientName = "recipient-name-quokka-8854"

    static var distinctive: [String] {
        [label, appID, tenant, notes, secret, keyID, displayName, tag, consumerTarget, recipientName]
    }

    /// Fills a vault with the distinctive values through every kind of change.
    private func fill(_ vault: Vault) throws {
        var app = Sample.app(Self.label, appID: Self.appID, tenant: Self.tenant, notes: Self.notes)
        app.tags = [Self.tag]
        app.consumers = [Consumer(kind: .jamfProIntune, target: Self.consumerTarget)]
        try vault.addApp(app, now: Sample.now)
        try vault.addSecret(
            to: Self.label, value: Sample.value(Self.secret), keyID: Self.keyID, expires: Sample.at(days: 90),
            displayName: Self.displayName, now: Sample.now)
        try vault.addSecret(to: Self.appID, value: Sample.value("second-" + Self.secret), expires: Sample.at(days: 180), now: Sample.at(days: 1))
        try vault.addRecipient(try X25519Identity.generate().recipient, role: .reader, name: Self.recipientName, now: Sample.now)
        try vault.editApp(Self.label, now: Sample.at(days: 2)) { $0.notes = Self.notes + " (edited)" }
        // Reading everything back proves the values are really in there.
        #expect(Sample.text(try vault.secretValue(of: Self.label, keyID: Self.keyID)) == Self.secret)
        #expect(try vault.app(Self.appID).app.tenant == Self.tenant)
        #expect(try vault.auditLog().contains { $0.app == Self.label && $0.keyID == Self.keyID })
    }

    private func leaks(in bytes: [UInt8]) -> [String] {
        Self.distinctive.filter { bytes.containsSubsequence(Array($0.utf8)) }
            + Self.distinctive.filter { bytes.containsSubsequence(Array($0.uppercased().utf8)) }.map { "\($0) (upper case)" }
    }

    @Test("no identifying field or secret value appears in the vault file or its WAL, open or closed")
    func nothingInClear() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("vault.sqlite")
        let admin = try X25519Identity.generate()
        do {
            let vault = try Vault.create(at: path, admin: admin.recipient, name: Self.recipientName, now: Sample.now)
            try fill(vault)
            // While the vault is open, its latest pages live in the WAL.
            let whileOpen = RawVaultFile.allBytes(path)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(whileOpen.count > 4096)
            // The check can see clear text: the audit action names and the recipient are stored in clear.
            #expect(whileOpen.containsSubsequence(Array("app.edit".utf8)))
            #expect(whileOpen.containsSubsequence(Array(admin.recipient.description.utf8)))
            #expect(leaks(in: whileOpen) == [])
        }
        // The vault is closed (its last connection went out of scope); check the files, then
        // checkpoint the WAL into the main file and check again.
        let afterClose = RawVaultFile.allBytes(path)
        #expect(afterClose.containsSubsequence(Array("app.edit".utf8)))
        #expect(leaks(in: afterClose) == [])
        try RawVaultFile.checkpoint(path)
        let mainFile = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        #expect(mainFile.containsSubsequence(Array("app.edit".utf8)))
        #expect(leaks(in: mainFile) == [])
        #expect(leaks(in: RawVaultFile.allBytes(path)) == [])
    }

    @Test("an export-and-import copy and a rekeyed vault keep the values encrypted too")
    func nothingInClearAfterImportAndRekey() throws {
        let (source, sourceVault) = try VaultHarness.make()
        defer { source.remove() }
        try fill(sourceVault)
        let document = try sourceVault.exportDocument(now: Sample.now)

        let (copy, copyVault) = try VaultHarness.make()
        defer { copy.remove() }
        // Another vault's export, with a jamf-pro-intune consumer.
        try copyVault.importDocument(document, trusting: [.otherVault, .actions], now: Sample.now)
        let rekeyed = try copyVault.rekey(now: Sample.at(days: 3))
        #expect(Sample.text(try rekeyed.secretValue(of: Self.label, keyID: Self.keyID)) == Self.secret)
        #expect(leaks(in: RawVaultFile.allBytes(copy.path)) == [])
    }
}

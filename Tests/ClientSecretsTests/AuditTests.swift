import Age
import CryptoPrimitives
import Foundation
import Testing

@testable import ClientSecrets
import ProcessHarness

@Suite("Audit log and identity files")
struct AuditTests {
    private struct Expected: Equatable, CustomStringConvertible {
        var action: String
        var actor: String
        var app: String?
        var appID: String?
        var keyID: String?
        var description: String { "\(action) by \(actor) app=\(app ?? "-") appID=\(appID ?? "-") keyID=\(keyID ?? "-")" }
    }

    @Test("every change appends an entry with its action, actor, app and key ID, numbered from 1")
    func everyChange() throws {
        let (harness, alice) = try VaultHarness.make(actor: "alice@audit-host", now: Sample.now)
        defer { harness.remove() }
        let bob = try harness.open(actor: "bob@other-host")
        let ordersID = Sample.guid()
        var expected = [Expected(action: "vault.init", actor: "alice@audit-host")]
        func alices(_ action: String, app: String? = nil, appID: String? = nil, keyID: String? = nil) -> Expected {
            Expected(action: action, actor: "alice@audit-host", app: app, appID: appID, keyID: keyID)
        }

        try alice.addApp(Sample.app("Orders", appID: ordersID), now: Sample.at(days: 1))
        expected.append(alices("app.add", app: "Orders", appID: ordersID))
        try bob.editApp("Orders", now: Sample.at(days: 2)) { $0.notes = "edited by bob" }
        expected.append(Expected(action: "app.edit", actor: "bob@other-host", app: "Orders", appID: ordersID))
        let first = try alice.addSecret(to: "Orders", value: Sample.value("first-secret-value"), expires: nil, now: Sample.at(days: 3))
        expected.append(alices("secret.add", app: "Orders", appID: ordersID, keyID: first.credential.keyID))
        let second = try alice.addSecret(to: "Orders", value: Sample.value("second-secret-value"), expires: nil, now: Sample.at(days: 4))
        expected.append(alices("secret.demote", app: "Orders", appID: ordersID, keyID: first.credential.keyID))
        expected.append(alices("secret.add", app: "Orders", appID: ordersID, keyID: second.credential.keyID))
        let reader = try X25519Identity.generate()
        try alice.addRecipient(reader.recipient, role: .reader, now: Sample.at(days: 5))
        expected.append(alices("recipient.add"))
        try alice.removeRecipient(reader.recipient.description, now: Sample.at(days: 6))
        expected.append(alices("recipient.remove"))

        let billingID = Sample.guid()
        let keyID = Sample.guid()
        let document = ExportDocument(exportedAt: Sample.now, vaultID: "elsewhere", apps: [ExportedApp(
            app: Sample.app("Billing", appID: billingID),
            credentials: [ExportedCredential(
                Credential(keyID: keyID, hint: "imp", created: Sample.now, validFrom: Sample.now, expires: nil, state: .current),
                value: "imported-secret-value")])])
        try alice.importDocument(document, trusting: .otherVault, now: Sample.at(days: 7))
        expected.append(alices("app.add", app: "Billing", appID: billingID))
        expected.append(alices("secret.add", app: "Billing", appID: billingID, keyID: keyID))
        expected.append(alices("vault.import"))
        try bob.removeApp("Orders", now: Sample.at(days: 8))
        expected.append(Expected(action: "app.remove", actor: "bob@other-host", app: "Orders", appID: ordersID))
        let rekeyed = try alice.rekey(now: Sample.at(days: 9))
        expected.append(alices("vault.rekey"))

        let log = try rekeyed.auditLog()
        #expect(log.map { Expected(action: $0.action.rawValue, actor: $0.actor, app: $0.app, appID: $0.appID, keyID: $0.keyID) } == expected)
        #expect(log.map(\.sequence) == Array(1...Int64(expected.count)))
        #expect(log.allSatisfy { $0.outcome == .ok })
        #expect(log.map(\.at) == [0, 1, 2, 3, 4, 4, 5, 6, 7, 7, 7, 8, 9].map { Sample.at(days: Double($0)) })
        #expect(log[0].detail?.contains(harness.admin.recipient.description) == true)
        #expect(log[3].detail == "current, no expiry")
        #expect(log[6].detail == "reader \(reader.recipient)")
        #expect(log[11].detail == "2 credential(s) removed")
        // The log reads the same through a fresh handle after the rekey.
        #expect(try harness.open().auditLog() == log)
    }

    @Test("no decrypted audit field holds a secret value")
    func noSecretsInTheLog() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let values = ["Zq9~AuditMustNotSeeThis.0001", "Zq9~AuditMustNotSeeThis.0002", "Zq9~AuditMustNotSeeThis.0003"]
        try vault.addApp(Sample.app("Orders"), now: Sample.now)
        for (index, value) in values.enumerated() {
            try vault.addSecret(to: "Orders", value: Sample.value(value), expires: Sample.at(days: Double(90 + index)), now: Sample.now)
        }
        let document = try vault.exportDocument(now: Sample.now)
        let (copy, copyVault) = try VaultHarness.make()
        defer { copy.remove() }
        try copyVault.importDocument(document, trusting: .otherVault, now: Sample.now)
        _ = try copyVault.rekey(now: Sample.now)

        for log in [try vault.auditLog(), try harness.open().auditLog(), try copy.open().auditLog()] {
            #expect(log.count >= 5)
            let text = log.map { [$0.actor, $0.action.rawValue, $0.outcome.rawValue, $0.app, $0.appID, $0.keyID, $0.detail].compactMap { $0 }.joined(separator: "|") }
            #expect(text.contains { $0.contains("Orders") })
            for value in values {
                #expect(!text.contains { $0.contains(value) || $0.contains(value.dropFirst(3)) }, "\(value) in the log")
            }
        }
    }

    @Test("an identity file readable by others is refused; a 0600 one loads")
    func identityFileMode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let path = directory.path("keys/identity.txt")
        try VaultIdentity.create(identity, at: path, passphrase: nil, now: Sample.now)
        #expect(RawVaultFile.mode(path) == 0o600)
        #expect(!VaultIdentity.isPassphraseProtected(path: path))
        let noPassphrase: () throws -> SecureBytes = { throw TestSupportError("a plain identity file asked for a passphrase") }
        #expect(try VaultIdentity.load(path: path, passphrase: noPassphrase).map(\.recipient) == [identity.recipient])

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let error = expectVaultError { try VaultIdentity.load(path: path, passphrase: noPassphrase) }
        guard case .identityTooOpen(let reportedPath, let mode) = error?.detail else {
            Issue.record("expected identityTooOpen, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        #expect(mode & 0o777 == 0o644)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try VaultIdentity.load(path: path, passphrase: noPassphrase).map(\.recipient) == [identity.recipient])

        let missing = directory.path("missing.txt")
        #expect(expectVaultError { try VaultIdentity.load(path: missing, passphrase: noPassphrase) } == .identityNotFound(path: missing))
        #expect(expectVaultError { try VaultIdentity.create(identity, at: path, passphrase: nil) }?.isRecipientProblem == true)
    }

    @Test("a passphrase-protected identity refuses a wrong passphrase and opens with the right one")
    func passphrase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let path = directory.path("identity.age")
        try VaultIdentity.create(identity, at: path, passphrase: Sample.value("correct horse battery staple"), now: Sample.now)
        #expect(VaultIdentity.isPassphraseProtected(path: path))
        #expect(RawVaultFile.mode(path) == 0o600)
        let contents = try #require(FileManager.default.contents(atPath: path))
        #expect(!String(decoding: contents, as: UTF8.self).contains("AGE-SECRET-KEY-1"))

        let reason = expectVaultError { try VaultIdentity.load(path: path) { Sample.value("wrong horse") } }?.cannotUnlockReason
        #expect(reason?.contains("wrong passphrase") == true, "got \(String(describing: reason))")
        #expect(try VaultIdentity.load(path: path) { Sample.value("correct horse battery staple") }.map(\.recipient) == [identity.recipient])
    }
}

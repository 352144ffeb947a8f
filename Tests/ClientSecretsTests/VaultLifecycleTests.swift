import Age
import CryptoPrimitives
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

@Suite("Vault lifecycle")
struct VaultLifecycleTests {
    @Test("an app and its secret round-trip through overview, app(name) and secretValue")
    func roundTrip() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        var app = Sample.app("Orders-API", appID: "6F3B1C2A-9D4E-4B7A-8C1D-2E5F6A7B8C9D", tenant: "Contoso.onmicrosoft.com", notes: "line one\nline two")
        app.tags = ["prod", "jamf"]
        app.consumers = [Consumer(kind: .jamfProIntune, target: "https://jamf.example.com")]
        app.issuer = .entraID
        let stored = try vault.addApp(app, now: Sample.now)
        #expect(stored.app.appID == "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d")
        #expect(stored.app.tenant == "contoso.onmicrosoft.com")

        let keyID = "0D3F5C1B-1111-4222-8333-944445555666"
        let expires = Sample.at(days: 90).addingTimeInterval(0.75)
        let credential = try vault.addSecret(
            to: "Orders-API", value: Sample.value("abc~TopSecretValue-1"), keyID: keyID, expires: expires, displayName: "rotated", now: Sample.now)
        #expect(credential.credential.keyID == keyID.lowercased())

        // A second handle on the file sees the same data, so it really is in SQLite.
        let reopened = try harness.open()
        let overview = try reopened.overview()
        try #require(overview.count == 1)
        #expect(overview[0].record.app == app)
        #expect(overview[0].record.id == stored.id)
        try #require(overview[0].credentials.count == 1)
        let record = overview[0].credentials[0]
        #expect(record.id == credential.id)
        #expect(record.hasValue)
        #expect(record.credential.keyID == keyID.lowercased())
        #expect(record.credential.hint == "abc")
        #expect(record.credential.state == .current)
        #expect(record.credential.expires == expires.wholeSeconds)
        #expect(record.credential.created == Sample.now)
        #expect(record.credential.validFrom == Sample.now)
        #expect(record.credential.displayName == "rotated")
        #expect(record.credential.retireAfter == nil)
        #expect(overview[0].current == record.credential)

        #expect(try reopened.app("Orders-API").app == app)
        #expect(Sample.text(try reopened.secretValue(of: "Orders-API")) == "abc~TopSecretValue-1")
        #expect(Sample.text(try reopened.secretValue(of: "Orders-API", keyID: keyID)) == "abc~TopSecretValue-1")
        #expect(try reopened.overview(of: "orders-api").credentials == [record])
    }

    @Test("apps are found by label in any case and by app ID")
    func lookup() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let appID = Sample.guid()
        try vault.addApp(Sample.app("Payroll Sync", appID: appID), now: Sample.now)
        try vault.addApp(Sample.app("Other", appID: Sample.guid()), now: Sample.now)

        for name in ["Payroll Sync", "payroll sync", "PAYROLL SYNC", appID, appID.uppercased()] {
            #expect(try vault.app(name).app.label == "Payroll Sync", "looking up \(name)")
        }
        #expect(expectVaultError { try vault.app("Payroll") } == .appNotFound("Payroll"))
        let unknownID = Sample.guid()
        #expect(expectVaultError { try vault.app(unknownID) } == .appNotFound(unknownID))
    }

    @Test("a new current secret demotes the old one to previous with retireAfter = now + overlap")
    func addSecretDemotesCurrent() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let policy = RotationPolicy(lifetime: 90 * Sample.day, rotateBefore: 10 * Sample.day, overlap: 3 * Sample.day)
        try vault.addApp(Sample.app("orders", policy: policy), now: Sample.now)
        let first = try vault.addSecret(to: "orders", value: Sample.value("first-value"), expires: Sample.at(days: 90), now: Sample.now)
        let later = Sample.at(days: 20).addingTimeInterval(0.5)
        let second = try vault.addSecret(to: "orders", value: Sample.value("second-value"), expires: Sample.at(days: 110), now: later)
        let pending = try vault.addSecret(
            to: "orders", value: Sample.value("third-value"), expires: Sample.at(days: 120), state: .pending, now: Sample.at(days: 21))

        let byID = Dictionary(uniqueKeysWithValues: try vault.overview(of: "orders").credentials.map { ($0.id, $0.credential) })
        #expect(byID[first.id]?.state == .previous)
        #expect(byID[first.id]?.retireAfter == later.addingTimeInterval(3 * Sample.day).wholeSeconds)
        #expect(byID[first.id]?.expires == Sample.at(days: 90))
        #expect(byID[second.id]?.state == .current)
        #expect(byID[second.id]?.retireAfter == nil)
        #expect(byID[pending.id]?.state == .pending)
        #expect(try vault.overview(of: "orders").current?.keyID == second.credential.keyID)
        #expect(Sample.text(try vault.secretValue(of: "orders")) == "second-value")
        #expect(Sample.text(try vault.secretValue(of: "orders", keyID: first.credential.keyID)) == "first-value")
        #expect(Sample.text(try vault.secretValue(of: "orders", keyID: pending.credential.keyID)) == "third-value")
        #expect(try vault.verify().isClean)
    }

    @Test("duplicate labels, app IDs and key IDs are rejected")
    func duplicates() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let appID = Sample.guid()
        try vault.addApp(Sample.app("Orders", appID: appID), now: Sample.now)
        #expect(expectVaultError { try vault.addApp(Sample.app("ORDERS")) } == .appExists("ORDERS"))
        #expect(expectVaultError { try vault.addApp(Sample.app("Orders 2", appID: appID.uppercased())) } == .appExists(appID))

        let keyID = Sample.guid()
        try vault.addSecret(to: "Orders", value: Sample.value("one"), keyID: keyID, expires: nil, now: Sample.now)
        let error = expectVaultError {
            try vault.addSecret(to: "Orders", value: Sample.value("two"), keyID: keyID.uppercased(), expires: nil, now: Sample.now)
        }
        #expect(error == .credentialExists(app: "Orders", keyID: keyID))
        // Nothing of the refused changes was stored.
        let overview = try vault.overview()
        #expect(overview.map(\.record.app.label) == ["Orders"])
        #expect(overview[0].credentials.count == 1)
        #expect(Sample.text(try vault.secretValue(of: "Orders")) == "one")
        // The same key ID under another app is fine.
        try vault.addApp(Sample.app("Billing"), now: Sample.now)
        try vault.addSecret(to: "Billing", value: Sample.value("three"), keyID: keyID, expires: nil, now: Sample.now)
    }

    @Test(
        "invalid values name the field",
        arguments: [
            ("app-id", Sample.app("ok", appID: "not-a-guid")),
            ("app-id", Sample.app("ok", appID: "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9z")),
            ("tenant", Sample.app("ok", tenant: "contoso")),
            ("tenant", Sample.app("ok", tenant: "con toso.example.com")),
            ("label", Sample.app("")),
            ("label", Sample.app("-orders")),
            ("label", Sample.app("orders\u{7}")),
            ("label", Sample.app(String(repeating: "x", count: 129))),
            ("lifetime", Sample.app("ok", policy: RotationPolicy(lifetime: 0, rotateBefore: 1, overlap: 0))),
            ("rotate-before", Sample.app("ok", policy: RotationPolicy(lifetime: 10, rotateBefore: 10, overlap: 0))),
            ("overlap", Sample.app("ok", policy: RotationPolicy(lifetime: 10, rotateBefore: 5, overlap: -1))),
        ])
    func invalidApp(field: String, app: App) throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        #expect(expectVaultError { try vault.addApp(app) }?.invalidField == field)
        #expect(try vault.overview().isEmpty)
    }

    @Test("invalid key IDs, secrets and durations name the field")
    func invalidSecretAndDuration() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Sample.app("orders"), now: Sample.now)
        #expect(expectVaultError { try vault.addSecret(to: "orders", value: Sample.value("v"), keyID: "key-1", expires: nil) }?.invalidField == "key-id")
        #expect(expectVaultError { try vault.addSecret(to: "orders", value: SecureBytes(copying: []), expires: nil) }?.invalidField == "secret")
        #expect(expectVaultError { try vault.addSecret(to: "orders", value: Sample.value("v"), expires: nil, state: .retired) }?.invalidField == "state")
        #expect(try vault.overview(of: "orders").credentials.isEmpty)

        for text in ["", "90", "d", "12parsecs", "-5d", "1234567d"] {
            #expect(expectVaultError { try DurationParser.parse(text, field: "lifetime") }?.invalidField == "lifetime", "\"\(text)\"")
        }
        #expect(try DurationParser.parse("1y6mo", field: "lifetime") == (365 + 180) * Sample.day)
        #expect(expectVaultError { try DateParser.parse("soon", field: "expires", now: Sample.now) }?.invalidField == "expires")
        #expect(try DateParser.parse("90d", field: "expires", now: Sample.now) == Sample.at(days: 90))
    }

    @Test("create refuses an existing path; open reports missing and foreign files")
    func createAndOpenErrors() throws {
        let (harness, _) = try VaultHarness.make()
        defer { harness.remove() }
        let other = try X25519Identity.generate()
        #expect(expectVaultError { try Vault.create(at: harness.path, admin: other.recipient) } == .vaultExists(path: harness.path))
        // The existing vault is untouched: its admin still opens it.
        #expect(try harness.open().role == .admin)

        let text = try harness.directory.write(Array("just some notes, not a database\n".utf8), to: "notes.txt")
        #expect(expectVaultError { try Vault.create(at: text, admin: other.recipient) } == .vaultExists(path: text))
        #expect(FileManager.default.contents(atPath: text) == Data("just some notes, not a database\n".utf8))

        let missing = harness.directory.path("missing.sqlite")
        #expect(expectVaultError { try Vault.open(at: missing, identities: [harness.admin]) } == .vaultNotFound(path: missing))
        #expect(!FileManager.default.fileExists(atPath: missing))

        let garbage = try harness.directory.write((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }, to: "garbage.sqlite")
        #expect(expectVaultError { try Vault.open(at: garbage, identities: [harness.admin]) }?.isNotAVault == true)
        #expect(expectVaultError { try Vault.open(at: text, identities: [harness.admin]) }?.isNotAVault == true)

        let plainSQLite = harness.directory.path("plain.sqlite")
        try RawVaultFile.write(plainSQLite) { db in try db.execute(sql: "CREATE TABLE t (x)") }
        #expect(expectVaultError { try Vault.open(at: plainSQLite, identities: [harness.admin]) }?.isNotAVault == true)
        #expect(expectVaultError { try Vault.open(at: harness.directory.path, identities: [harness.admin]) }?.isNotAVault == true)
    }

    @Test("the vault file and its WAL are mode 0600", .sqliteFile)
    func fileModes() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Sample.app("orders"), now: Sample.now)
        try vault.addSecret(to: "orders", value: Sample.value("value"), expires: nil, now: Sample.now)
        #expect(FileManager.default.fileExists(atPath: harness.path + "-wal"))
        #expect(RawVaultFile.mode(harness.path) == 0o600)
        #expect(RawVaultFile.mode(harness.path + "-wal") == 0o600)
        if FileManager.default.fileExists(atPath: harness.path + "-shm") {
            #expect(RawVaultFile.mode(harness.path + "-shm") == 0o600)
        }
    }

    @Test("removing an app deletes its credentials; the audit log keeps the removal", .sqliteFile)
    func removeApp() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let appID = Sample.guid()
        let removed = try vault.addApp(Sample.app("Orders", appID: appID), now: Sample.now)
        try vault.addSecret(to: "Orders", value: Sample.value("one"), expires: nil, now: Sample.now)
        try vault.addSecret(to: "Orders", value: Sample.value("two"), expires: nil, now: Sample.now)
        try vault.addApp(Sample.app("Billing"), now: Sample.now)
        try vault.addSecret(to: "Billing", value: Sample.value("three"), expires: nil, now: Sample.now)

        try vault.removeApp("orders", now: Sample.at(days: 1))
        #expect(expectVaultError { try vault.app("Orders") } == .appNotFound("Orders"))
        #expect(expectVaultError { try vault.secretValue(of: appID) } == .appNotFound(appID))
        #expect(try vault.overview().map(\.record.app.label) == ["Billing"])
        let (remaining, orphans) = try RawVaultFile.read(harness.path) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM credentials") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM credentials WHERE app = ?", arguments: [removed.id.data]) ?? -1)
        }
        #expect(remaining == 1)
        #expect(orphans == 0)

        let last = try #require(try vault.auditLog().last)
        #expect(last.action == .appRemove)
        #expect(last.app == "Orders")
        #expect(last.appID == appID)
        #expect(last.detail == "2 credential(s) removed")
        #expect(last.at == Sample.at(days: 1))
        #expect(try vault.verify().isClean)
    }

    @Test("editing an app changes its fields and keeps labels unique")
    func editApp() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let appID = Sample.guid()
        let original = try vault.addApp(Sample.app("Orders", appID: appID), now: Sample.now)
        try vault.addApp(Sample.app("Billing"), now: Sample.now)

        let edited = try vault.editApp("orders", now: Sample.at(days: 2)) { app in
            app.label = "Orders v2"
            app.tenant = "Fabrikam.onmicrosoft.com"
            app.notes = "moved to fabrikam"
            app.tags = ["moved"]
        }
        #expect(edited.id == original.id)
        let stored = try vault.app(appID)
        #expect(stored.app.label == "Orders v2")
        #expect(stored.app.tenant == "fabrikam.onmicrosoft.com")
        #expect(stored.app.notes == "moved to fabrikam")
        #expect(stored.app.tags == ["moved"])
        #expect(stored.updatedAt == Sample.at(days: 2))
        #expect(stored.createdAt == Sample.now)
        #expect(try vault.app("ORDERS V2").id == original.id)
        #expect(expectVaultError { try vault.app("Orders") } == .appNotFound("Orders"))
        #expect(try vault.auditLog().last?.detail == "changed label, tenant, tags, notes")

        #expect(expectVaultError { try vault.editApp("Orders v2") { $0.label = "BILLING" } } == .appExists("BILLING"))
        #expect(expectVaultError { try vault.editApp("Orders v2") { $0.tenant = "not a tenant" } }?.invalidField == "tenant")
        #expect(try vault.app(appID).app == stored.app)
        #expect(try vault.app("Billing").app.label == "Billing")
        #expect(try vault.verify().isClean)
    }
}

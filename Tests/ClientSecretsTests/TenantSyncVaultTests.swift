import Age
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

/// What the vault does with a round of the tenant's changes (issue 15), against the real vault
/// file: Graph's answers are data from a server, so each field is checked before it is stored;
/// applying a round twice changes nothing; a managed app is never changed; the kept delta link
/// is sealed, authenticated and survives a rekey.
@Suite("Vault: applying the tenant's changes")
struct TenantSyncVaultTests {
    static let link = "https://graph.microsoft.com/v1.0/applications/delta?$deltatoken=abc"

    static func secret(_ keyID: String = Sample.guid(), days: Double, name: String? = "pw") -> TenantCredential {
        TenantCredential(kind: .secret, keyID: keyID, displayName: name, hint: "Ab1", start: Sample.now, end: Sample.at(days: days))
    }

    static func round(_ applications: [TenantApplication], removed: [String] = [], full: Bool = true, link: String = link) -> TenantChanges {
        TenantChanges(applications: applications, removedObjectIDs: removed, deltaLink: link, isFullRound: full, pages: 1)
    }

    /// A vault with a scanner app holding its secret.
    static func vault() throws -> (VaultHarness, Vault) {
        let (harness, vault) = try VaultHarness.make()
        try vault.addApp(Sample.app("scanner"), now: Sample.now)
        try vault.addSecret(to: "scanner", value: Sample.value("scanner-secret-value-0123456789"), expires: Sample.at(days: 300), now: Sample.now)
        return (harness, vault)
    }

    @Test("what Graph sends that is not what it documents is refused or dropped, never stored as sent")
    func hostileFields() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let good = Sample.guid()
        let duplicate = Sample.guid()
        let hostile = TenantApplication(
            objectID: Sample.guid(), appID: Sample.guid(), displayName: "evil\u{1B}]52;c;aGk=\u{07}",
            secrets: [
                Self.secret("not-a-guid", days: 10),
                Self.secret(duplicate, days: 10), Self.secret(duplicate, days: 11),
                TenantCredential(kind: .secret, keyID: good, displayName: "line\nbreak", hint: "toolong", start: nil, end: Sample.at(days: 20)),
                TenantCredential(kind: .secret, keyID: Sample.guid(), end: Date(timeIntervalSince1970: 1e12)),
            ],
            certificates: [TenantCredential(kind: .certificate, keyID: Sample.guid(), thumbprint: "zz", end: Sample.at(days: 30))])
        let summary = try vault.applyTenantRound(
            Self.round([hostile, TenantApplication(objectID: "x", appID: Sample.guid()), TenantApplication(objectID: Sample.guid(), appID: "y")]),
            scanner: "scanner", now: Sample.now)
        #expect(summary.appsAdded == 1)
        #expect(summary.refused.count == 5, "\(summary.refused)")
        #expect(summary.refused.allSatisfy { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        let app = try vault.overview(of: hostile.appID!)
        #expect(app.record.app.label == hostile.appID, "a display name with control characters is no label")
        #expect(app.record.app.monitored && app.record.app.objectID == hostile.objectID)
        let stored = try #require(app.credentials.first { $0.credential.keyID == good }?.credential)
        #expect(stored.displayName == nil && stored.hint == "", "text that is not what Graph documents is dropped")
        let certificate = try #require(app.credentials.first { $0.credential.kind == .certificate }?.credential)
        #expect(certificate.thumbprint == nil)
        #expect(Set(app.credentials.map(\.credential.keyID)) == [good, certificate.keyID, duplicate])
        #expect(try vault.verify().problems.isEmpty)

        let badLink = #expect(throws: VaultError.self) {
            try vault.applyTenantRound(Self.round([], link: "https://graph.microsoft.com/\u{0}"), scanner: "scanner", now: Sample.now)
        }
        #expect(badLink?.code == .invalidValue)
        #expect(try vault.tenantSyncState(scanner: "scanner")?.deltaLink == Self.link, "a refused round stores nothing")
    }

    @Test("a round applied twice changes nothing the second time; the state says where it ended")
    func idempotent() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let apps = (0..<5).map { index in
            TenantApplication(
                objectID: Sample.guid(), appID: Sample.guid(), displayName: "app \(index)",
                secrets: [Self.secret(days: Double(index + 1))],
                certificates: [TenantCredential(kind: .certificate, keyID: Sample.guid(), thumbprint: String(repeating: "ab", count: 20), end: Sample.at(days: 50))])
        }
        let first = try vault.applyTenantRound(Self.round(apps), scanner: "scanner", now: Sample.now)
        #expect(first.appsAdded == 5 && first.credentialsAdded == 10)
        let audit = try vault.auditLog().count
        let second = try vault.applyTenantRound(Self.round(apps, link: Self.link + "2"), scanner: "scanner", now: Sample.at(days: 1))
        #expect(second.changedNothing, "\(second)")
        #expect(try vault.auditLog().count == audit + 1, "only the sync itself is audited")
        let state = try #require(try vault.tenantSyncState(scanner: "scanner"))
        #expect(state.deltaLink == Self.link + "2" && state.lastFullRound == Sample.at(days: 1))
        let certificate = try #require(try vault.overview(of: "app 0").credentials.first { $0.credential.kind == .certificate })
        #expect(certificate.credential.thumbprint == String(repeating: "AB", count: 20))
        #expect(try vault.overview(of: "app 0").current?.kind == .certificate, "the credential that ends last is current")
    }

    @Test("an app the vault manages is never changed; where it differs from the tenant, the summary says so")
    func managedAppsAreLeftAlone() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        var managed = Sample.app("orders")
        managed.issuer = .entraID
        managed.rotator = "scanner"
        try vault.addApp(managed, now: Sample.now)
        let held = try vault.addSecret(to: "orders", value: Sample.value("orders-secret-value-0123456789"), expires: Sample.at(days: 40), now: Sample.now)
        let before = try vault.overview(of: "orders")
        let stranger = Sample.guid()
        let summary = try vault.applyTenantRound(
            Self.round([TenantApplication(objectID: Sample.guid(), appID: managed.appID, displayName: "Orders", secrets: [Self.secret(stranger, days: 9)], certificates: [])]),
            scanner: "scanner", now: Sample.now)
        #expect(summary.changedNothing)
        #expect(summary.drift.count == 2, "\(summary.drift)")
        #expect(summary.drift.contains { $0.contains(held.credential.keyID) && $0.contains("no longer in the tenant") })
        #expect(summary.drift.contains { $0.contains(stranger) && $0.contains("not in the vault") })
        let after = try vault.overview(of: "orders")
        #expect(after == before)
        #expect(Sample.text(try vault.secretValue(of: "orders")) == "orders-secret-value-0123456789")
    }

    @Test("an application removed from the tenant, or missing from a full round, has its credentials retired and kept")
    func removals() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let gone = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "gone", secrets: [Self.secret(days: 5)], certificates: [])
        let missing = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "missing", secrets: [Self.secret(days: 6)], certificates: [])
        let stays = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "stays", secrets: [Self.secret(days: 7)], certificates: [])
        try vault.applyTenantRound(Self.round([gone, missing, stays]), scanner: "scanner", now: Sample.now)
        let incremental = try vault.applyTenantRound(Self.round([], removed: [gone.objectID], full: false), scanner: "scanner", now: Sample.now)
        #expect(incremental.appsRemoved == 1 && incremental.credentialsRemoved == 1)
        let full = try vault.applyTenantRound(Self.round([stays]), scanner: "scanner", now: Sample.now)
        #expect(full.appsRemoved == 1, "missing from a full round: \(full)")
        for label in ["gone", "missing"] {
            #expect(try vault.overview(of: label).credentials.map(\.credential.state) == [.retired])
        }
        #expect(try vault.overview(of: "stays").current != nil)
        #expect(try vault.expiring(within: 30 * 86_400, now: Sample.now).map(\.app.label) == ["stays"])
        #expect(try vault.auditLog().contains { $0.action == .tenantAppRemoved && $0.app == "gone" })
    }

    @Test("the kept link survives a rekey, counts in verify, and a reader's edit of it is found")
    func keptLinkIsAuthenticated() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, name: "monitoring", now: Sample.now)
        try vault.applyTenantRound(Self.round([]), scanner: "scanner", now: Sample.now)
        _ = try vault.rekey(now: Sample.now)
        let reopened = try harness.open()
        #expect(try reopened.tenantSyncState(scanner: "scanner")?.deltaLink == Self.link)
        #expect(try reopened.verify().checked["tenant_syncs"] == 1)
        #expect(try harness.open([reader]).tenantSyncState(scanner: "scanner")?.deltaLink == Self.link, "a reader can read it")
        // Someone with the file (a reader) puts another link in: they cannot tag the row.
        try RawVaultFile.write(harness.path) { db in
            let id = try #require(try Data.fetchOne(db, sql: "SELECT id FROM tenant_syncs"))
            try RawVaultFile.flipByte(db, "tenant_syncs", "meta", id: id)
        }
        let admin = try harness.open()
        #expect(throws: VaultError.self) { try admin.checkIntegrity() }
        #expect(throws: VaultError.self) { try admin.tenantSyncState(scanner: "scanner") }
    }

    @Test("removing the scanner app removes its kept link")
    func removingTheScanner() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        try vault.applyTenantRound(Self.round([]), scanner: "scanner", now: Sample.now)
        try vault.removeApp("scanner", now: Sample.now)
        let count = try RawVaultFile.read(harness.path) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tenant_syncs") }
        #expect(count == 0)
        #expect(try vault.verify().problems.isEmpty)
    }
}

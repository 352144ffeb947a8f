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
            scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
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
            try vault.applyTenantRound(Self.round([], link: "https://graph.microsoft.com/\u{0}"), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
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
        let first = try vault.applyTenantRound(Self.round(apps), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(first.appsAdded == 5 && first.credentialsAdded == 10)
        let audit = try vault.auditLog().count
        let second = try vault.applyTenantRound(Self.round(apps, link: Self.link + "2"), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.at(days: 1))
        #expect(second.changedNothing, "\(second)")
        #expect(try vault.auditLog().count == audit + 1, "only the sync itself is audited")
        let state = try #require(try vault.tenantSyncState(scanner: "scanner"))
        #expect(state.deltaLink == Self.link + "2" && state.lastFullRound == Sample.at(days: 1))
        let certificate = try #require(try vault.overview(of: "app 0").credentials.first { $0.credential.kind == .certificate })
        #expect(certificate.credential.thumbprint == String(repeating: "AB", count: 20))
        #expect(try vault.overview(of: "app 0").current?.kind == .secret, "a certificate is never current, though it ends last")
    }

    @Test("an app the vault manages is never changed; where it differs from the tenant, the summary says so")
    func managedAppsAreLeftAlone() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let managed = Sample.managedApp("orders", rotator: "scanner")
        try vault.addApp(managed, now: Sample.now)
        let held = try vault.addSecret(to: "orders", value: Sample.value("orders-secret-value-0123456789"), expires: Sample.at(days: 40), now: Sample.now)
        let before = try vault.overview(of: "orders")
        let stranger = Sample.guid()
        let summary = try vault.applyTenantRound(
            Self.round([TenantApplication(objectID: Sample.guid(), appID: managed.appID, displayName: "Orders", secrets: [Self.secret(stranger, days: 9)], certificates: [])]),
            scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
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
        try vault.applyTenantRound(Self.round([gone, missing, stays]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        let incremental = try vault.applyTenantRound(Self.round([], removed: [gone.objectID], full: false), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(incremental.appsRemoved == 1 && incremental.credentialsRemoved == 1)
        let full = try vault.applyTenantRound(Self.round([stays]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(full.appsRemoved == 1, "missing from a full round: \(full)")
        for label in ["gone", "missing"] {
            #expect(try vault.overview(of: label).credentials.map(\.credential.state) == [.retired])
        }
        #expect(try vault.overview(of: "stays").current != nil)
        #expect(try vault.expiring(within: 30 * 86_400, now: Sample.now).map(\.app.label) == ["stays"])
        #expect(try vault.auditLog().contains { $0.action == .tenantAppRemoved && $0.app == "gone" })
    }

    @Test("the kept link survives a rekey, counts in verify, and a reader's edit of it is found", .sqliteFile)
    func keptLinkIsAuthenticated() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, name: "monitoring", now: Sample.now)
        try vault.applyTenantRound(Self.round([]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        _ = try vault.rekey(now: Sample.now)
        let reopened = try harness.open()
        #expect(try reopened.tenantSyncState(scanner: "scanner")?.deltaLink == Self.link)
        #expect(try reopened.verify().checked["tenant_syncs"] == 1)
        #expect(try harness.open([reader]).tenantSyncState(scanner: "scanner")?.deltaLink == Self.link, "a reader can read it")
        // A reader holds the metadata key: it can seal a state of its choosing (a link to its own
        // server) that opens fine. What it cannot make is the row's admin-only tag.
        let readerVault = try harness.open([reader])
        let scannerID = try readerVault.app("scanner").id
        let forged = TenantSyncState(
            tenant: "contoso.onmicrosoft.com", deltaLink: "https://attacker.example/v1.0/applications/delta?$deltatoken=x",
            lastRound: Sample.now, lastFullRound: Sample.now)
        let sealed = try readerVault.cipher.sealJSON(forged, key: readerVault.keys.metadataCipherKey, binding: Vault.tenantSyncBinding(id: scannerID))
        try RawVaultFile.write(harness.path) { db in
            try RawVaultFile.set(db, "tenant_syncs", "meta", to: sealed, id: scannerID.data)
        }
        let admin = try harness.open()
        let refused = #expect(throws: VaultError.self) { try admin.tenantSyncState(scanner: "scanner") }
        #expect(refused?.code == .tampered, "the row's tag, not its ciphertext, gives it away: \(String(describing: refused))")
        #expect(throws: VaultError.self) { try admin.checkIntegrity() }
    }

    @Test("removing the scanner app removes its kept link", .sqliteFile)
    func removingTheScanner() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        try vault.applyTenantRound(Self.round([]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        try vault.removeApp("scanner", now: Sample.now)
        let count = try RawVaultFile.read(harness.path) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tenant_syncs") }
        #expect(count == 0)
        #expect(try vault.verify().problems.isEmpty)
    }

    @Test("the same key id as a secret and a certificate is refused, and the rest of the round applied, now and on every later round")
    func keyIDInBothLists() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let shared = Sample.guid()
        let app = TenantApplication(
            objectID: Sample.guid(), appID: Sample.guid(), displayName: "twice", secrets: [Self.secret(shared, days: 5)],
            certificates: [TenantCredential(kind: .certificate, keyID: shared, end: Sample.at(days: 6))])
        let other = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "other", secrets: [Self.secret(days: 7)], certificates: [])
        for _ in 0..<2 {
            let summary = try vault.applyTenantRound(Self.round([app, other]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
            #expect(summary.refusedCount == 1, "\(summary.refused)")
        }
        #expect(try vault.overview(of: "twice").credentials.map(\.credential.kind) == [.secret])
        #expect(try vault.overview(of: "other").current != nil)
    }

    @Test("a scanner that sees part of the tenant never retires what another scanner found")
    func partialScanner() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        try vault.addApp(Sample.app("owned-by"), now: Sample.now)
        let everything = (0..<3).map { TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "app \($0)", secrets: [Self.secret(days: 9)], certificates: []) }
        try vault.applyTenantRound(Self.round(everything), scanner: "scanner", readFrom: nil, now: Sample.now)
        // The second scanner's full round lists only the app it owns.
        let partial = try vault.applyTenantRound(Self.round([everything[0]]), scanner: "owned-by", readFrom: nil, now: Sample.now)
        #expect(partial.appsRemoved == 0)
        // The first scanner's next full round no longer lists app 2: that one it retires.
        let next = try vault.applyTenantRound(
            Self.round(Array(everything.prefix(2))), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(next.appsRemoved == 1)
        #expect(try vault.overview(of: "app 1").current != nil && vault.overview(of: "app 2").current == nil)
    }

    @Test("a round read before another sync stored one is not applied over it")
    func staleRound() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let before = try vault.tenantSyncState(scanner: "scanner")
        try vault.applyTenantRound(Self.round([], link: Self.link + "new"), scanner: "scanner", readFrom: before, now: Sample.now)
        let stale = #expect(throws: VaultError.self) {
            try vault.applyTenantRound(Self.round([], link: Self.link + "old"), scanner: "scanner", readFrom: before, now: Sample.now)
        }
        #expect(stale?.code == .busy)
        #expect(try vault.tenantSyncState(scanner: "scanner")?.deltaLink == Self.link + "new")
    }

    @Test("a credential refused for one bad field is not taken for deleted; a restored application's credentials come back")
    func refusedAndRestored() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let key = Sample.guid()
        let app = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "kept", secrets: [Self.secret(key, days: 9)], certificates: [])
        try vault.applyTenantRound(Self.round([app]), scanner: "scanner", readFrom: nil, now: Sample.now)
        var broken = app
        broken.secrets = [TenantCredential(kind: .secret, keyID: key, end: Date(timeIntervalSince1970: 1e12))]
        let refused = try vault.applyTenantRound(Self.round([broken]), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(refused.refusedCount == 1 && refused.credentialsRemoved == 0, "\(refused)")
        // Deleted (to deleted items), then restored with its credentials.
        try vault.applyTenantRound(Self.round([], removed: [app.objectID], full: false), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(try vault.overview(of: "kept").current == nil)
        let restored = try vault.applyTenantRound(Self.round([app], full: false), scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(restored.credentialsAdded == 1)
        #expect(try vault.overview(of: "kept").current?.keyID == key)
    }

    @Test("taking over a monitored app keeps its other secrets until a person retires them; rotation never retires a certificate")
    func takeOver() throws {
        let (harness, vault) = try Self.vault()
        defer { harness.remove() }
        let older = Sample.guid()
        let app = TenantApplication(
            objectID: Sample.guid(), appID: Sample.guid(), displayName: "taken", secrets: [Self.secret(older, days: 20), Self.secret(days: 90)],
            certificates: [TenantCredential(kind: .certificate, keyID: Sample.guid(), end: Sample.at(days: 5))])
        try vault.applyTenantRound(Self.round([app]), scanner: "scanner", readFrom: nil, now: Sample.now)
        try vault.editApp("taken", now: Sample.now) { $0.monitored = false; $0.rotator = "scanner"; $0.issuer = .entraID }
        let credentials = try vault.overview(of: "taken").credentials.map(\.credential)
        let inherited = try #require(credentials.first { $0.keyID == older })
        #expect(inherited.state == .previous && inherited.retireAfter == .distantFuture)
        #expect(credentials.first { $0.kind == .certificate }?.retireAfter == nil)
        #expect(try vault.auditLog().last?.detail?.contains("1 inherited previous secret(s) kept") == true)
        #expect(try vault.verify().problems.isEmpty)
    }

    @Test("a vault is format 2 until its first sync makes it format 3; one without the table reads as before", .sqliteFile)
    func formatThree() throws {
        let (harness, _) = try Self.vault()
        defer { harness.remove() }
        // A new vault is format 2, without the table, as before sync existed: every secrets since
        // format 2 opens it.
        #expect(try RawVaultFile.read(harness.path) { db in try db.tableExists("tenant_syncs") } == false)
        let old = try harness.open()
        #expect(old.format == 2)
        #expect(try old.verify().problems.isEmpty)
        #expect(try old.tenantSyncState(scanner: "scanner") == nil)
        try old.applyTenantRound(Self.round([]), scanner: "scanner", readFrom: nil, now: Sample.now)
        #expect(try RawVaultFile.read(harness.path) { db in try Int.fetchOne(db, sql: "SELECT format FROM vault") } == 3)
        #expect(try harness.open().verify().problems.isEmpty)
        // The migration is its own audit entry, once: the next round finds the format raised.
        try harness.open().applyTenantRound(Self.round([]), scanner: "scanner", readFrom: try harness.open().tenantSyncState(scanner: "scanner"), now: Sample.now)
        let migrations = try harness.open().auditLog().filter { $0.action == .vaultMigrate }
        #expect(migrations.map(\.detail) == ["format 2 → 3; format 3: the table tenant_syncs keeps each scanner's delta link"])
    }
}

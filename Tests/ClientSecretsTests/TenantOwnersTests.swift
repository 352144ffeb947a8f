import Foundation
import GRDB
import Testing

@testable import ClientSecrets

/// Apps' owners as `secrets sync --owners` records them: on every app of the scanner's tenant,
/// checked like every field Graph sends, kept in the sealed app record, exported and imported.
@Suite("Vault: apps' owners")
struct TenantOwnersTests {
    static func user(_ upn: String, id: String = Sample.guid()) -> TenantOwner {
        TenantOwner(objectID: id, type: "#microsoft.graph.user", displayName: "Someone", userPrincipalName: upn)
    }

    @Test("owners are recorded on managed and monitored apps of the tenant, checked, and only written when they change", .sqliteFile)
    func recorded() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let managed = Sample.managedApp("orders", rotator: "scanner")
        try vault.addApp(managed, now: Sample.now)
        var elsewhere = Sample.app("elsewhere")
        elsewhere.tenant = "fabrikam.onmicrosoft.com"
        try vault.addApp(elsewhere, now: Sample.now)
        let found = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "found", secrets: [TenantSyncVaultTests.secret(days: 5)], certificates: [])
        let robot = Sample.guid()
        let owners = TenantOwners(byAppID: [
            managed.appID: [Self.user("ada@contoso.com"), TenantOwner(objectID: robot, type: "#microsoft.graph.servicePrincipal", displayName: "deploy bot")],
            found.appID!: [Self.user("bob@contoso.com\u{1B}[2J"), TenantOwner(objectID: "not-a-guid", type: "#microsoft.graph.user")],
            elsewhere.appID: [Self.user("eve@fabrikam.com")],
        ], requests: 1)
        let summary = try vault.applyTenantRound(
            TenantSyncVaultTests.round([found]), owners: owners, scanner: "scanner", readFrom: nil, now: Sample.now)
        #expect(summary.ownersRead && summary.ownersChanged == 2, "\(summary)")
        #expect(summary.refused.contains { $0.contains("owner") && $0.contains("not-a-guid") })
        let orders = try vault.overview(of: "orders").record.app
        #expect(orders.owners?.map(\.name) == ["ada@contoso.com", "deploy bot"])
        #expect(orders.owners?.first { $0.objectID == robot }?.kind == .servicePrincipal)
        #expect(orders.rotator == "scanner" && !orders.monitored, "owners change nothing else of a managed app")
        let foundOwners = try #require(try vault.overview(of: "found").record.app.owners)
        #expect(foundOwners.count == 1 && foundOwners[0].name == "Someone", "a sign-in name with control characters is dropped for the display name")
        #expect(try vault.overview(of: "elsewhere").record.app.owners == nil, "an app of another tenant is not this scanner's")
        #expect(try vault.expiring(within: 30 * 86_400, now: Sample.now).first?.app.owners?.count == 1)
        #expect(try RawVaultFile.read(harness.path) { db in try Int.fetchOne(db, sql: "SELECT format FROM vault") } == 4)

        let again = try vault.applyTenantRound(
            TenantSyncVaultTests.round([], full: false), owners: owners, scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
        #expect(again.ownersChanged == 0)
        #expect(try harness.open().verify().problems.isEmpty)
    }

    @Test("owners survive an edit, an export and an import", .sqliteFile)
    func exported() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let scanner = try vault.overview(of: "scanner").record.app
        let before = try vault.exportDocument(now: Sample.now)
        #expect(before.version == 1, "no owners yet: the version every secrets reads")
        try vault.applyTenantRound(
            TenantSyncVaultTests.round([]), owners: TenantOwners(byAppID: [scanner.appID: [Self.user("ada@contoso.com")]], requests: 1),
            scanner: "scanner", readFrom: nil, now: Sample.now)
        // A copy from before the owners were read is no conflict, and the vault's owners stay.
        let restored = try vault.importDocument(before, now: Sample.now)
        #expect(restored.conflictsSkipped.isEmpty, "\(restored.conflictsSkipped)")
        #expect(try vault.overview(of: "scanner").record.app.owners?.map(\.name) == ["ada@contoso.com"])
        try vault.editApp("scanner", now: Sample.now) { $0.notes = "reads the tenant" }
        #expect(try vault.overview(of: "scanner").record.app.owners?.map(\.name) == ["ada@contoso.com"])
        let document = try vault.exportDocument(now: Sample.now)
        let entry = try #require(document.apps.first { $0.label == "scanner" })
        #expect(entry.owners?.map(\.name) == ["ada@contoso.com"])
        let json = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(json.contains("\"objectId\""))

        let (other, copy) = try VaultHarness.make()
        defer { other.remove() }
        try copy.importDocument(document, trusting: [.otherVault], now: Sample.now)
        #expect(try copy.overview(of: "scanner").record.app.owners == entry.owners)
        #expect(try RawVaultFile.read(other.path) { db in try Int.fetchOne(db, sql: "SELECT format FROM vault") } == 4,
            "records an older secrets cannot read raise the format")
    }

    @Test("an app record names its owners only once a sync read them, so others keep their version")
    func recordVersion() throws {
        var app = Sample.app("plain")
        #expect(app.record().first != 7)
        app.owners = []
        #expect(app.record().first == 7)
        app.owners = [AppOwner(objectID: Sample.guid(), kind: .user, name: nil)]
        let decoded = try app.record().withUnsafeBytes { try App(record: $0) }
        #expect(decoded == app)
    }
}

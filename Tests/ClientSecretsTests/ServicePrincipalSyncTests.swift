import Foundation
import GRDB
import Testing

@testable import ClientSecrets
@testable import Rotation

/// Service principals' credentials in the vault (`secrets sync --service-principals`): they join
/// the app with the same app ID, are held by the service principal, and each holder's
/// credentials live and die with that holder alone.
@Suite("Vault: service principals' credentials")
struct ServicePrincipalSyncTests {
    static let principalLink = "https://graph.microsoft.com/v1.0/servicePrincipals/delta?$deltatoken=sp"

    static func principals(_ items: [TenantApplication], removed: [String] = [], full: Bool = true) -> TenantChanges {
        TenantChanges(holder: .servicePrincipal, applications: items, removedObjectIDs: removed, deltaLink: principalLink, isFullRound: full, pages: 1)
    }

    static func certificate(_ keyID: String = Sample.guid(), days: Double) -> TenantCredential {
        TenantCredential(kind: .certificate, keyID: keyID, displayName: "CN=Microsoft Azure Federated SSO Certificate", thumbprint: String(repeating: "C0", count: 20), end: Sample.at(days: days))
    }

    func apply(_ vault: Vault, _ apps: TenantChanges, _ principals: TenantChanges?) throws -> TenantSyncSummary {
        try vault.applyTenantRound(apps, servicePrincipals: principals, scanner: "scanner", readFrom: try vault.tenantSyncState(scanner: "scanner"), now: Sample.now)
    }

    @Test("a gallery app's service principal registers a monitored app; its credentials are monitored, never current; the vault becomes format 4", .sqliteFile)
    func galleryApp() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let saml = TenantApplication(
            objectID: Sample.guid(), appID: Sample.guid(), displayName: "Salesforce", secrets: [TenantSyncVaultTests.secret(days: 12)],
            certificates: [Self.certificate(days: 20)])
        let summary = try apply(vault, TenantSyncVaultTests.round([]), Self.principals([saml]))
        #expect(summary.appsAdded == 1 && summary.credentialsAdded == 2 && summary.servicePrincipalsSeen == 1)
        let overview = try vault.overview(of: "Salesforce")
        #expect(overview.record.app.monitored && overview.record.app.objectID == nil, "the object id is the app registration's, which is not in this tenant")
        #expect(overview.current == nil, "a service principal's secret is never current")
        #expect(overview.credentials.allSatisfy { $0.credential.holder == .servicePrincipal && $0.credential.state == .previous })
        let expiring = try vault.expiring(within: 30 * 86_400, now: Sample.now)
        #expect(expiring.map(\.custody) == [.monitored, .monitored])
        #expect(try RawVaultFile.read(harness.path) { db in try Int.fetchOne(db, sql: "SELECT format FROM vault") } == 4)
        let state = try #require(try vault.tenantSyncState(scanner: "scanner"))
        #expect(state.servicePrincipals == [saml.objectID: saml.appID!] && state.servicePrincipalDeltaLink == Self.principalLink)
        #expect(try harness.open().verify().problems.isEmpty)
        // Rotation never retires a service principal's credential, whoever manages the app.
        let secret = try #require(overview.credentials.first { $0.credential.kind == .secret }?.credential)
        #expect(RotationEngine.mayRetire(secret, open: [], now: Sample.at(days: 1))?.contains("service principal") == true)
    }

    @Test("the app registration and its service principal each retire only their own credentials")
    func holdersAreSeparate() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let appID = Sample.guid()
        let registration = TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "portal", secrets: [TenantSyncVaultTests.secret(days: 40)], certificates: [])
        let principal = TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "portal", secrets: [], certificates: [Self.certificate(days: 25)])
        _ = try apply(vault, TenantSyncVaultTests.round([registration]), Self.principals([principal]))
        var credentials = try vault.overview(of: "portal").credentials.map(\.credential)
        #expect(credentials.count == 2)
        #expect(credentials.first { $0.holder == .application }?.state == .current)

        // A later sync without --service-principals: the application lists its own credentials
        // only, which says nothing of its service principal's.
        let quiet = try apply(vault, TenantSyncVaultTests.round([registration], full: false), nil)
        #expect(quiet.changedNothing, "\(quiet)")
        #expect(try vault.tenantSyncState(scanner: "scanner")?.servicePrincipals == [principal.objectID: appID], "kept for the next sync with --service-principals")

        // An update that leaves out the app ID (Graph lists "at least the changed properties").
        let update = TenantApplication(objectID: principal.objectID, certificates: [Self.certificate(principal.certificates![0].keyID, days: 60)])
        let changed = try apply(vault, TenantSyncVaultTests.round([], full: false), Self.principals([update], full: false))
        #expect(changed.credentialsChanged == 1 && changed.refusedCount == 0, "\(changed)")

        // The service principal is deleted: its certificate is retired, the app's secret stays current.
        let removed = try apply(vault, TenantSyncVaultTests.round([], full: false), Self.principals([], removed: [principal.objectID], full: false))
        #expect(removed.servicePrincipalsRemoved == 1 && removed.credentialsRemoved == 1)
        credentials = try vault.overview(of: "portal").credentials.map(\.credential)
        #expect(credentials.first { $0.holder == .servicePrincipal }?.state == .retired)
        #expect(credentials.first { $0.holder == .application }?.state == .current)
        #expect(try vault.tenantSyncState(scanner: "scanner")?.servicePrincipals.isEmpty == true)
        #expect(try vault.auditLog().contains { $0.action == .tenantAppRemoved && $0.detail?.contains("service principal") == true })

        // It comes back, and the application is deleted instead: the reverse.
        _ = try apply(vault, TenantSyncVaultTests.round([], removed: [registration.objectID], full: false), Self.principals([principal], full: false))
        credentials = try vault.overview(of: "portal").credentials.map(\.credential)
        #expect(credentials.first { $0.holder == .servicePrincipal }?.state == .previous, "listed again: revived")
        #expect(credentials.first { $0.holder == .application }?.state == .retired)
        #expect(try vault.verify().problems.isEmpty)
    }

    @Test("a full round of service principals retires only those this scanner knew and no longer lists")
    func fullRound() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let kept = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "kept", secrets: [], certificates: [Self.certificate(days: 10)])
        let gone = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "gone", secrets: [], certificates: [Self.certificate(days: 11)])
        _ = try apply(vault, TenantSyncVaultTests.round([]), Self.principals([kept, gone]))
        let full = try apply(vault, TenantSyncVaultTests.round([]), Self.principals([kept]))
        #expect(full.servicePrincipalsRemoved == 1, "\(full)")
        #expect(try vault.overview(of: "gone").credentials.map(\.credential.state) == [.retired])
        #expect(try vault.overview(of: "kept").credentials.map(\.credential.state) == [.previous])
        #expect(try vault.tenantSyncState(scanner: "scanner")?.servicePrincipals.keys.sorted() == [kept.objectID])
    }

    @Test("a managed app's service principal is reported, never applied; taking an app over leaves its service principal's secrets alone")
    func managedAndTakeover() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let managed = Sample.managedApp("orders", rotator: "scanner")
        try vault.addApp(managed, now: Sample.now)
        let before = try vault.overview(of: "orders")
        let stranger = Sample.guid()
        let summary = try apply(
            vault, TenantSyncVaultTests.round([]),
            Self.principals([TenantApplication(objectID: Sample.guid(), appID: managed.appID, displayName: "Orders", secrets: [TenantSyncVaultTests.secret(stranger, days: 9)], certificates: [])]))
        #expect(summary.changedNothing)
        #expect(summary.drift == ["orders: secret of its service principal \(stranger) in the tenant is not in the vault"])
        #expect(try vault.overview(of: "orders") == before)

        let appID = Sample.guid()
        _ = try apply(
            vault, TenantSyncVaultTests.round([TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "taken", secrets: [TenantSyncVaultTests.secret(days: 90)], certificates: [])]),
            Self.principals([TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "taken", secrets: [TenantSyncVaultTests.secret(days: 20)], certificates: [])]))
        try vault.editApp("taken", now: Sample.now) { $0.monitored = false; $0.rotator = "scanner"; $0.issuer = .entraID }
        let principalSecret = try #require(try vault.overview(of: "taken").credentials.first { $0.credential.holder == .servicePrincipal }?.credential)
        #expect(principalSecret.retireAfter == nil && principalSecret.state == .previous)
        #expect(try vault.auditLog().last?.detail?.contains("inherited") == false, "the service principal's secret is not the app registration's to keep or retire")
    }

    @Test("a credential record names its holder only when it is a service principal, so others keep their version")
    func recordVersions() throws {
        let plain = Credential(keyID: Sample.guid(), hint: "abc", created: Sample.now, validFrom: Sample.now, expires: nil, state: .current)
        var principal = plain
        principal.holder = .servicePrincipal
        #expect(plain.record().first == 1)
        #expect(principal.record().first == 3)
        for credential in [plain, principal] {
            let decoded = try credential.record().withUnsafeBytes { try Credential(record: $0) }
            #expect(decoded == credential)
        }
        let json = try JSONEncoder().encode(principal)
        #expect(String(decoding: json, as: UTF8.self).contains("\"holder\":\"servicePrincipal\""))
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("holder"))
        #expect(try JSONDecoder().decode(Credential.self, from: json) == principal)
    }

    @Test("an enterprise app deleted and created again between syncs keeps its new certificate; one without credentials, or a managed identity, is no app")
    func recreatedAndEmpty() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let appID = Sample.guid()
        let old = TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "Salesforce", secrets: [], certificates: [Self.certificate(days: 10)])
        _ = try apply(vault, TenantSyncVaultTests.round([]), Self.principals([old]))
        let new = TenantApplication(objectID: Sample.guid(), appID: appID, displayName: "Salesforce", secrets: [], certificates: [Self.certificate(days: 30)])
        let summary = try apply(vault, TenantSyncVaultTests.round([], full: false), Self.principals([new], removed: [old.objectID], full: false))
        let credentials = try vault.overview(of: "Salesforce").credentials.map(\.credential)
        #expect(credentials.first { $0.keyID == new.certificates![0].keyID }?.state == .previous, "\(summary)")
        #expect(try vault.tenantSyncState(scanner: "scanner")?.servicePrincipals == [new.objectID: appID])

        let empty = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "Microsoft Graph", secrets: [], certificates: [])
        let identity = TenantApplication(
            objectID: Sample.guid(), appID: Sample.guid(), displayName: "vm-identity", secrets: [], certificates: [Self.certificate(days: 40)],
            servicePrincipalType: "ManagedIdentity")
        let quiet = try apply(vault, TenantSyncVaultTests.round([], full: false), Self.principals([empty, identity], full: false))
        #expect(quiet.appsAdded == 0 && quiet.changedNothing, "\(quiet)")
        #expect(try vault.tenantSyncState(scanner: "scanner")?.servicePrincipals[empty.objectID] == empty.appID, "remembered all the same")
    }

    @Test("an export with a service principal's credential is version 2; one that makes it current is refused")
    func exchange() throws {
        let (harness, vault) = try TenantSyncVaultTests.vault()
        defer { harness.remove() }
        let saml = TenantApplication(objectID: Sample.guid(), appID: Sample.guid(), displayName: "Salesforce", secrets: [], certificates: [Self.certificate(days: 10)])
        _ = try apply(vault, TenantSyncVaultTests.round([]), Self.principals([saml]))
        var document = try vault.exportDocument(now: Sample.now)
        #expect(document.version == 2)
        #expect(try ExportDocument.decode(try document.encoded()).apps.first { $0.appId == saml.appID }?.credentials.first?.holder == .servicePrincipal)
        let index = try #require(document.apps.firstIndex { $0.appId == saml.appID })
        document.apps[index].credentials[0].state = .current
        let refused = #expect(throws: VaultError.self) { try vault.importDocument(document, now: Sample.now) }
        #expect(refused?.code == .invalidDocument)
    }
}

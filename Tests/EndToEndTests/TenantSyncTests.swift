import Emulators
import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// `secrets sync` against the emulated Graph (issue 15): a full read of a tenant of several
/// pages, the changes a later incremental read sees, a delta link Graph no longer accepts,
/// throttling in the middle of paging, a sync killed mid-read, and apps the vault manages left
/// alone. The rotator holds `Application.Read.All` as well and serves as the scanner.
@Suite("secrets sync: the whole tenant", .serialized)
struct TenantSyncTests {
    struct Report: Decodable {
        struct Summary: Decodable {
            let fullRound: Bool
            let resyncReason: String?
            let pages: Int
            let applicationsSeen: Int
            let appsAdded: Int
            let appsRemoved: Int
            let credentialsAdded: Int
            let credentialsChanged: Int
            let credentialsRemoved: Int
            let drift: [String]
            let refused: [String]
            let servicePrincipalsRead: Bool
            let servicePrincipalsSeen: Int
            let servicePrincipalsRemoved: Int
            let ownersRead: Bool
            let ownerRequests: Int
            let ownersChanged: Int
        }

        let scanner: String
        let tenant: String
        let summary: Summary
    }

    /// A tenant app the test registered directly in the emulator (not through the vault).
    struct TenantApp {
        let appID: String
        let displayName: String
        let secretKey: String
        let certificateKey: String?
    }

    /// A world whose rotator may read the tenant, and `count` more applications in the tenant
    /// that the vault does not know: app `i` has a secret ending in `i` days and a half, and
    /// every third one a certificate ending a day later.
    static func world(_ name: String, tenantApps count: Int) async throws -> (EmulatorWorld, [TenantApp]) {
        let world = try await EmulatorWorld.make(name, rotatorRoles: ["Application.ReadWrite.OwnedBy", "Application.Read.All"])
        var apps: [TenantApp] = []
        let now = Date()
        for index in 0..<count {
            let appID = Sandbox.guid()
            let displayName = "tenant app \(index)"
            await world.entra.registerApplication(appID: appID, displayName: displayName)
            let secretKey = await world.entra.addSecret(
                appID: appID, value: Sandbox.secretValue(), displayName: "pw", expires: now.addingTimeInterval(Double(index) * 86_400 + 43_200))
            var certificateKey: String?
            if index % 3 == 0 {
                certificateKey = await world.entra.addCertificate(
                    appID: appID, displayName: "CN=\(displayName)", expires: now.addingTimeInterval(Double(index + 1) * 86_400 + 43_200))?.keyID
            }
            apps.append(TenantApp(appID: appID, displayName: displayName, secretKey: secretKey, certificateKey: certificateKey))
        }
        return (world, apps)
    }

    static func sync(_ world: EmulatorWorld, _ extra: [String] = []) async throws -> Report {
        let result = try await world.sandbox.succeedAsync(["sync", "rotator", "--json"] + extra)
        return try world.sandbox.decode(Report.self, from: result)
    }

    @Test("a full read over several pages registers every application, monitored, with its secrets and certificates; the next read sees only the changes")
    func fullThenIncremental() async throws {
        let (world, apps) = try await Self.world("sync-full", tenantApps: 250)
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let managed = try await world.addEntraApp("managed", displayName: "Managed", expiresInDays: 90)
        let managedBefore = try sandbox.succeed(["app", "show", "managed", "--json"]).output

        let first = try await Self.sync(world)
        #expect(first.summary.fullRound && first.summary.pages == 3, "\(first.summary)")
        #expect(first.summary.appsAdded == 250)
        #expect(first.summary.credentialsAdded == 250 + 84)
        #expect(first.summary.drift.isEmpty && first.summary.refused.isEmpty, "\(first.summary)")

        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        #expect(rows.count == 252)
        #expect(rows.first { $0.label == "managed" }?.custody == "managed")
        #expect(rows.filter { $0.label.hasPrefix("tenant app") }.allSatisfy { $0.custody == "monitored" })
        let fourth = try #require(rows.first { $0.label == "tenant app 3" })
        #expect(fourth.current?.type == "secret" && fourth.current?.keyId == apps[3].secretKey, "the secret is current, though the certificate ends later")

        let secrets = try sandbox.decode(ExpiringReport.self, from: try sandbox.run(["expiring", "--days", "10", "--json", "--type", "secret"]))
        #expect(Set(secrets.credentials.map(\.label)) == Set((0..<10).map { "tenant app \($0)" }))
        #expect(secrets.credentials.allSatisfy { $0.type == "secret" && $0.custody == "monitored" })
        let certificates = try sandbox.decode(
            ExpiringReport.self, from: try sandbox.run(["expiring", "--days", "10", "--json", "--type", "certificate"]))
        #expect(certificates.credentials.map(\.label) == ["tenant app 0", "tenant app 3", "tenant app 6"])
        let metrics = try sandbox.run(["expiring", "--days", "2", "--format", "prometheus"]).output
        #expect(metrics.contains("type=\"certificate\"") && metrics.contains("type=\"secret\""), "\(metrics)")
        #expect(metrics.contains("secrets_tenant_sync_last_round_timestamp_seconds{scanner=\"rotator\",tenant=\"\(EmulatorWorld.tenant)\"} "), "\(metrics)")

        // What a person changes in the tenant between two syncs.
        let added = Sandbox.guid()
        await world.entra.registerApplication(appID: added, displayName: "added later")
        await world.entra.addSecret(appID: added, value: Sandbox.secretValue(), expires: Date().addingTimeInterval(40 * 86_400))
        #expect(await world.entra.removeCredential(appID: apps[1].appID, keyID: apps[1].secretKey))
        let certificate = await world.entra.addCertificate(appID: apps[2].appID, displayName: "CN=new", expires: Date().addingTimeInterval(300 * 86_400))
        let newEnd = Date().addingTimeInterval(500 * 86_400)
        #expect(await world.entra.setCredentialEnd(appID: apps[4].appID, keyID: apps[4].secretKey, end: newEnd))
        #expect(await world.entra.deleteApplication(appID: apps[3].appID))
        #expect(await world.entra.removeCredential(appID: managed.appID, keyID: managed.oldKey))

        let second = try await Self.sync(world)
        #expect(!second.summary.fullRound)
        #expect(second.summary.applicationsSeen < 10, "only what changed is read: \(second.summary)")
        #expect(second.summary.appsAdded == 1 && second.summary.appsRemoved == 1)
        #expect(second.summary.credentialsAdded == 2, "the new app's secret and the new certificate")
        #expect(second.summary.credentialsChanged == 1)
        #expect(second.summary.credentialsRemoved == 1 + 2, "tenant app 1's secret, and tenant app 3's secret and certificate")
        #expect(second.summary.drift.count == 1 && second.summary.drift[0].contains("managed") && second.summary.drift[0].contains(managed.oldKey))
        #expect(try sandbox.succeed(["app", "show", "managed", "--json"]).output == managedBefore, "a managed app is never changed")

        let removed = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "tenant app 1", "--json"]))
        #expect(removed.credentials?.first { $0.keyId == apps[1].secretKey }?.state == "retired", "kept, marked, not dropped")
        let moved = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "tenant app 4", "--json"]))
        #expect(moved.credentials?.first { $0.keyId == apps[4].secretKey }?.expires.map { Int($0.timeIntervalSince1970) } == Int(newEnd.timeIntervalSince1970))
        let withCertificate = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "tenant app 2", "--json"]))
        #expect(withCertificate.credentials?.first { $0.keyId == certificate?.keyID }?.type == "certificate")
        let log = try sandbox.succeed(["log"]).output
        #expect(log.contains("tenant.credential-removed") && log.contains(apps[1].secretKey))
        #expect(log.contains("tenant.app-removed") && log.contains("tenant app 3"))

        let third = try await Self.sync(world)
        #expect(third.summary.applicationsSeen == 0 && third.summary.credentialsAdded == 0 && third.summary.credentialsRemoved == 0)
        try sandbox.succeed(["verify"])

        // Rotation leaves monitored apps alone; --manage hands one to it.
        struct Plan: Decodable {
            let label: String
            let rotate: Bool
            let reason: String
        }
        struct Plans: Decodable { let dryRun: [Plan] }
        let plans = try sandbox.decode(Plans.self, from: try sandbox.succeed(["rotate", "--due", "--dry-run", "--json"])).dryRun
        let due = try #require(plans.first { $0.label == "tenant app 0" }, "its secret ends within a day")
        #expect(!due.rotate && due.reason.contains("only monitored"), "\(due)")
        let named = try sandbox.run(["rotate", "tenant app 0", "--dry-run"])
        #expect(named.status == 78 && named.errorOutput.contains("only monitored"), "\(named)")
        try sandbox.succeed(["app", "edit", "tenant app 0", "--manage"])
        try sandbox.succeed(["app", "edit", "tenant app 5", "--rotator", "rotator"])
        let custody = Dictionary(
            try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"])).map { ($0.label, $0.custody) }, uniquingKeysWith: { a, _ in a })
        #expect(custody["tenant app 0"] == "managed" && custody["tenant app 5"] == "managed", "a rotator implies --manage")
        #expect(custody["tenant app 6"] == "monitored")
        // A managed app is the admin's from now on: the next sync reports, never changes it.
        #expect(await world.entra.removeCredential(appID: apps[5].appID, keyID: apps[5].secretKey))
        let afterManage = try await Self.sync(world)
        #expect(afterManage.summary.credentialsRemoved == 0 && afterManage.summary.drift.contains { $0.contains("tenant app 5") }, "\(afterManage.summary)")
    }

    @Test("a delta link Graph no longer accepts starts a full read, and the output says why")
    func lostDeltaLink() async throws {
        let (world, _) = try await Self.world("sync-lost-link", tenantApps: 5)
        defer { Task { await world.finish() } }
        _ = try await Self.sync(world)
        await world.entra.expireDeltaTokens(gone: true)
        await world.entra.registerApplication(appID: Sandbox.guid(), displayName: "after the link expired")
        let text = try await world.sandbox.succeedAsync(["sync", "rotator"]).output
        #expect(text.contains("full read") && text.contains("no longer accepted"), "\(text)")
        let report = try await Self.sync(world)
        #expect(!report.summary.fullRound, "the new link is kept: \(report.summary)")
        let rows = try world.sandbox.decode([ListRow].self, from: try world.sandbox.succeed(["list", "--json"]))
        #expect(rows.contains { $0.label == "after the link expired" })
    }

    @Test("throttling in the middle of paging is waited out (Retry-After) and the read completes")
    func throttledMidPaging() async throws {
        let (world, _) = try await Self.world("sync-throttled", tenantApps: 150)
        defer { Task { await world.finish() } }
        await world.entra.clearRequests()
        await world.entra.injectFault(.status(429, retryAfter: 1), on: .listApplications, times: 2, after: 1)
        let report = try await Self.sync(world)
        #expect(report.summary.appsAdded == 150)
        #expect(await world.entra.requests().filter { $0.operation == .listApplications }.map(\.status) == [200, 429, 429, 200])
    }

    @Test("a sync killed in the middle of reading changes nothing; the next one completes")
    func killedMidRead() async throws {
        let (world, _) = try await Self.world("sync-killed", tenantApps: 150)
        defer { Task { await world.finish() } }
        let before = try world.sandbox.succeed(["list", "--json"]).output
        // The second page never answers within the run: SIGKILL lands while it waits.
        await world.entra.injectFault(.hang(seconds: 20), on: .listApplications, times: 1, after: 1)
        let killed = try await world.sandbox.runAsync(["sync", "rotator"], killAfter: 4)
        #expect(!killed.exitedNormally, "\(killed)")
        // A request is recorded once answered: the first page was, the second was still held.
        #expect(await world.entra.requests().filter { $0.operation == .listApplications && $0.status == 200 }.count == 1, "the kill came after the first page")
        #expect(try world.sandbox.succeed(["list", "--json"]).output == before)
        try world.sandbox.succeed(["verify"])
        await world.entra.clearFaults()
        let report = try await Self.sync(world)
        #expect(report.summary.fullRound && report.summary.appsAdded == 150)
    }

    @Test("a sync killed while it writes the round leaves the vault as it was; the next one applies the round whole")
    func killedMidWrite() async throws {
        let (world, _) = try await Self.world("sync-killed-write", tenantApps: 0)
        defer { Task { await world.finish() } }
        // Enough rows that the write takes a while, and spills pages into a file's write-ahead log before it commits.
        await world.entra.registerTenant(count: 2_500, secrets: 2, certificates: 1)
        let sandbox = world.sandbox
        let before = try sandbox.succeed(["list", "--json"]).output
        // The sync writes once, after the whole read. In a file, the log grows only under a
        // write; on the server, the sync's session holds the vault's write lock and inserts credentials.
        let inTheWrite: @Sendable () -> Bool
        let watch = sandbox.vaultOnServer ? try ServerWriteWatch(location: sandbox.vault) : nil
        defer { watch?.close() }
        if let watch {
            inTheWrite = { watch.isInserting(into: "credentials") }
        } else {
            let log = sandbox.vault + "-wal"
            let start = Self.size(of: log)
            inTheWrite = { Self.size(of: log) > start + 256 * 1024 }
        }
        let killed = try await sandbox.runAsync(["sync", "rotator"], killWhen: inTheWrite)
        #expect(!killed.exitedNormally && !killed.timedOut && killed.status == SIGKILL, "the sync was not killed in its write: \(killed)")
        let pages = await world.entra.requests().filter { $0.operation == .listApplications && $0.status == 200 }.count
        #expect(pages == 26, "the read was complete: the kill came in the write")
        #expect(try sandbox.succeed(["list", "--json"]).output == before, "nothing of the round is in the vault")
        try sandbox.succeed(["verify"])
        let report = try await Self.sync(world)
        #expect(report.summary.appsAdded == 2_500 && report.summary.fullRound, "\(report.summary)")
        try sandbox.succeed(["verify"])
    }

    static func size(of path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    @Test("a reader sees the synced metadata and no value; only an admin syncs")
    func readers() async throws {
        let (world, apps) = try await Self.world("sync-reader", tenantApps: 3)
        defer { Task { await world.finish() } }
        let signing = Sandbox.guid()
        await world.entra.registerApplication(appID: signing, displayName: "certificates only")
        let certificate = await world.entra.addCertificate(appID: signing, displayName: "CN=signing", expires: Date().addingTimeInterval(60 * 86_400))
        _ = try await Self.sync(world)
        let sandbox = world.sandbox
        let reader = sandbox.directory.path("reader.txt")
        let readerKey = try Tools.generateKey(at: reader)
        try sandbox.directory.chmod("reader.txt", 0o600)
        try sandbox.succeed(["recipients", "add", readerKey, "--role", "reader"])
        let asReader = ["SECRETS_IDENTITY": reader]
        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"], environment: asReader))
        #expect(rows.contains { $0.appId == apps[1].appID && $0.current?.keyId == apps[1].secretKey })
        let certificateOnly = try #require(rows.first { $0.appId == signing })
        #expect(certificateOnly.current?.keyId == certificate?.keyID && certificateOnly.current?.type == "certificate" && certificateOnly.status == "ok",
            "an app with no current credential shows its live one: \(certificateOnly)")
        let denied = try await sandbox.runAsync(["sync", "rotator"], environment: asReader)
        #expect(denied.status == 77, "\(denied)")
        let noValue = try sandbox.run(["secret", "get", "tenant app 0"])
        #expect(noValue.status == 66, "a monitored app's value was never stored: \(noValue)")
    }

    @Test("with --service-principals, an enterprise app's SAML certificate and secrets are monitored as one app's; a deleted service principal retires them")
    func servicePrincipals() async throws {
        let (world, apps) = try await Self.world("sync-principals", tenantApps: 2)
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let gallery = Sandbox.guid()
        let saml = await world.entra.registerServicePrincipal(appID: gallery, displayName: "Salesforce")
        let signing = try #require(await world.entra.addTokenSigningCertificate(servicePrincipal: saml, expires: Date().addingTimeInterval(20 * 86_400)))
        let own = await world.entra.registerServicePrincipal(appID: apps[1].appID, displayName: apps[1].displayName)
        let principalSecret = try #require(await world.entra.addSecret(servicePrincipal: own, displayName: "sp secret", expires: Date().addingTimeInterval(5 * 86_400)))

        let first = try await Self.sync(world, ["--service-principals"])
        #expect(first.summary.servicePrincipalsRead && first.summary.servicePrincipalsSeen == 2, "\(first.summary)")
        #expect(first.summary.refused.isEmpty, "the SAML certificate's shared key id is one certificate, not a clash: \(first.summary.refused)")
        let report = try sandbox.decode(ExpiringReport.self, from: try sandbox.run(["expiring", "--days", "30", "--json"]))
        let certificate = try #require(report.credentials.first { $0.appId == gallery })
        #expect(certificate.keyId == signing.verify && certificate.type == "certificate" && certificate.holder == "servicePrincipal" && certificate.custody == "monitored")
        #expect(report.credentials.filter { $0.appId == gallery }.count == 1, "Sign, Verify and the password are one certificate")
        let onApp = try #require(report.credentials.first { $0.keyId == principalSecret.keyID })
        #expect(onApp.label == apps[1].displayName && onApp.holder == "servicePrincipal")
        #expect(report.credentials.first { $0.keyId == apps[1].secretKey }?.holder == "application")
        let table = try sandbox.run(["expiring", "--days", "30"]).output
        #expect(table.contains("certificate (SP)") && table.contains("secret (SP)"), "\(table)")
        let listed = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        #expect(listed.first { $0.appId == apps[1].appID }?.current?.keyId == apps[1].secretKey, "the app registration's secret stays current")

        // A sync without the flag leaves them; one with it sees the deletion.
        let plain = try await Self.sync(world)
        #expect(!plain.summary.servicePrincipalsRead && plain.summary.credentialsRemoved == 0, "\(plain.summary)")
        await world.entra.deleteServicePrincipal(saml)
        let next = try await Self.sync(world, ["--service-principals"])
        #expect(next.summary.servicePrincipalsSeen == 0 && next.summary.servicePrincipalsRemoved == 1 && next.summary.credentialsRemoved == 1, "\(next.summary)")
        let after = try sandbox.decode(ExpiringReport.self, from: try sandbox.run(["expiring", "--days", "30", "--json"]))
        #expect(!after.credentials.contains { $0.appId == gallery })
        #expect(after.credentials.contains { $0.keyId == principalSecret.keyID })
        let audit = try await sandbox.succeedAsync(["log", "--json"]).output
        #expect(audit.contains("service principal"))
    }

    @Test("with --owners, who owns each app is read (all of them, past Graph's expansion limit) and shown with what expires")
    func owners() async throws {
        let (world, apps) = try await Self.world("sync-owners", tenantApps: 3)
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        await world.entra.addOwner(appID: apps[0].appID, userPrincipalName: "ada@contoso.com", displayName: "Ada")
        for index in 0..<25 {
            await world.entra.addOwner(appID: apps[1].appID, userPrincipalName: "owner\(index)@contoso.com", displayName: "Owner \(index)")
        }
        await world.entra.clearRequests()
        let first = try await Self.sync(world, ["--owners"])
        #expect(first.summary.ownersRead && first.summary.ownersChanged >= 2, "\(first.summary)")
        let requests = await world.entra.requests()
        #expect(requests.contains { $0.path == "/v1.0/applications" && $0.query.contains("expand") })
        #expect(requests.filter { $0.path.hasSuffix("/owners") }.count == 1, "only the app listed with 20 owners is read on its own")

        let report = try sandbox.decode(ExpiringReport.self, from: try sandbox.run(["expiring", "--days", "30", "--json"]))
        #expect(report.credentials.first { $0.appId == apps[0].appID }?.owners == ["ada@contoso.com"])
        #expect(report.credentials.first { $0.appId == apps[1].appID }?.owners.count == 25)
        #expect(report.credentials.first { $0.appId == apps[2].appID }?.owners == [])
        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        #expect(rows.first { $0.appId == apps[0].appID }?.owners == ["ada@contoso.com"])
        let shown = try sandbox.succeed(["app", "show", apps[0].displayName]).output
        #expect(shown.contains("ada@contoso.com"), "\(shown)")

        let again = try await Self.sync(world, ["--owners"])
        #expect(again.summary.ownersChanged == 0, "owners that did not change are not written again: \(again.summary)")
    }
}

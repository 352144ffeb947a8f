import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Rotation
import Testing
@testable import EntraID

/// Reading the whole tenant through the delta query (issue 15): full rounds in pages, the changes
/// of the next round, a link Graph no longer accepts, throttling, and links that lead elsewhere.
@Suite("Tenant inventory")
struct TenantInventoryTests {
    static let tenant = EntraFixture.tenant

    /// An emulator with a scanner (`Application.Read.All`) and `count` apps, each with a secret;
    /// the app at index 0 has a certificate too.
    static func tenantWith(apps count: Int) async throws -> (EntraEmulator, TenantInventory, [String]) {
        let emulator = EntraEmulator(configuration: .init(replicationDelay: .zero))
        let url = try await emulator.start().absoluteString
        let scanner = UUID().uuidString.lowercased()
        let secret = SeededWorld.newSecretValue()
        await emulator.registerApplication(appID: scanner, displayName: "scanner", roles: ["Application.Read.All"])
        await emulator.addSecret(appID: scanner, value: secret, expires: Date().addingTimeInterval(86_400))
        var apps: [String] = []
        for index in 0..<count {
            let appID = UUID().uuidString.lowercased()
            await emulator.registerApplication(appID: appID, displayName: "app \(index)")
            await emulator.addSecret(appID: appID, value: SeededWorld.newSecretValue(), expires: Date().addingTimeInterval(Double(index + 1) * 86_400))
            apps.append(appID)
        }
        if let first = apps.first {
            await emulator.addCertificate(
                appID: first, displayName: "CN=first", thumbprint: Array(0..<20).map { UInt8($0 * 11) }, expires: Date().addingTimeInterval(40 * 86_400))
        }
        let endpoints = try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.loginVariable: url, EntraEndpoints.graphVariable: url])
        let inventory = TenantInventory(
            scannerClientID: scanner, scannerSecret: SecureBytes(copying: Array(secret.utf8)), tenant: tenant, endpoints: endpoints,
            session: EntraFixture.fastSession())
        return (emulator, inventory, apps)
    }

    @Test("a full round reads every application in pages, secrets and certificates with their metadata, and ends with a delta link")
    func fullRound() async throws {
        let (emulator, inventory, apps) = try await Self.tenantWith(apps: 250)
        let round = try await inventory.changes()
        #expect(round.isFullRound)
        #expect(round.pages == 3)
        #expect(round.applications.count == 251)
        #expect(Set(round.applications.compactMap(\.appID)).isSuperset(of: apps))
        let first = try #require(round.applications.first { $0.appID == apps[0] })
        #expect(first.secrets?.count == 1)
        #expect(first.secrets?.first?.hint?.count == 3)
        let certificate = try #require(first.certificates?.first)
        #expect(certificate.kind == .certificate)
        #expect(certificate.thumbprint == Array(0..<20).map { String(format: "%02X", UInt8($0 * 11)) }.joined())
        #expect(certificate.displayName == "CN=first")
        #expect(certificate.end.map { abs($0.timeIntervalSinceNow - 40 * 86_400) < 60 } == true)
        #expect(round.deltaLink.contains("/v1.0/applications/delta"))
        await emulator.stop()
    }

    @Test("the next round reads only what changed: a new app, a new secret, a removed app")
    func incrementalRound() async throws {
        let (emulator, inventory, apps) = try await Self.tenantWith(apps: 20)
        let first = try await inventory.changes()
        let quiet = try await inventory.changes(since: first.deltaLink)
        #expect(!quiet.isFullRound)
        #expect(quiet.applications.isEmpty && quiet.removedObjectIDs.isEmpty)
        let added = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: added, displayName: "added")
        await emulator.addSecret(appID: apps[5], value: SeededWorld.newSecretValue(), expires: Date().addingTimeInterval(86_400))
        let removedObject = try #require(first.applications.first { $0.appID == apps[7] }?.objectID)
        await emulator.deleteApplication(appID: apps[7])
        let changes = try await inventory.changes(since: quiet.deltaLink)
        #expect(!changes.isFullRound)
        #expect(Set(changes.applications.compactMap(\.appID)) == [added, apps[5]])
        #expect(changes.applications.first { $0.appID == apps[5] }?.secrets?.count == 2)
        #expect(changes.removedObjectIDs == [removedObject])
        await emulator.stop()
    }

    @Test("a link Graph no longer accepts (400 syncStateNotFound, or 410) starts a full round, and says why")
    func expiredLinkResyncs() async throws {
        let (emulator, inventory, _) = try await Self.tenantWith(apps: 5)
        let first = try await inventory.changes()
        for gone in [false, true] {
            await emulator.expireDeltaTokens(gone: gone)
            let round = try await inventory.changes(since: first.deltaLink)
            #expect(round.isFullRound)
            #expect(round.applications.count == 6)
            #expect(round.resyncReason?.contains(gone ? "410" : "syncStateNotFound") == true, "\(round.resyncReason ?? "nil")")
        }
        await emulator.stop()
    }

    @Test("throttling in the middle of a round is waited out and the round completes")
    func throttledRound() async throws {
        let (emulator, inventory, _) = try await Self.tenantWith(apps: 150)
        // The second page is throttled twice, then served.
        await emulator.injectFault(.status(429, retryAfter: 1), on: .listApplications, times: 2, after: 1)
        let round = try await inventory.changes()
        #expect(round.applications.count == 151)
        #expect(await emulator.requests().filter { $0.operation == .listApplications }.map(\.status) == [200, 429, 429, 200])
        await emulator.stop()
    }

    @Test("a link to another server is never followed, whether stored or sent by the server")
    func foreignLinksAreRefused() async throws {
        let (emulator, inventory, _) = try await Self.tenantWith(apps: 1)
        let stored = await #expect(throws: RotationFailure.self) {
            try await inventory.changes(since: "http://attacker.invalid/v1.0/applications/delta?$deltatoken=x")
        }
        #expect(stored?.reason.contains("not followed") == true)
        #expect(await emulator.requests().isEmpty, "nothing was sent anywhere")
        await emulator.stop()

        // A server whose page sends the next request, with the token, to another port.
        let server = HostileServer(mode: .hugeBody, routes: [
            HostileRoute("POST", "/\(Self.tenant)/oauth2/v2.0/token", body: #"{"access_token":"scanner-token","token_type":"Bearer","expires_in":3599}"#),
            HostileRoute("GET", "/v1.0/applications/delta", body: #"{"value":[],"@odata.nextLink":"http://127.0.0.1:9/v1.0/applications/delta?$skiptoken=x"}"#),
        ])
        let url = try server.start().absoluteString
        defer { server.stop() }
        let hostile = TenantInventory(
            scannerClientID: UUID().uuidString, scannerSecret: SecureBytes(copying: Array("scanner-secret-value".utf8)), tenant: Self.tenant,
            endpoints: try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.loginVariable: url, EntraEndpoints.graphVariable: url]),
            session: EntraFixture.fastSession())
        let sent = await #expect(throws: RotationFailure.self) { try await hostile.changes() }
        #expect(sent?.reason.contains("not followed") == true, "\(sent?.reason ?? "")")
        #expect(sent?.reason.contains("scanner-secret-value") == false)
    }

    @Test("service principals are read through their own delta query; a SAML certificate's three entries are one certificate")
    func servicePrincipals() async throws {
        let (emulator, inventory, apps) = try await Self.tenantWith(apps: 2)
        let gallery = UUID().uuidString.lowercased()
        let saml = await emulator.registerServicePrincipal(appID: gallery, displayName: "Salesforce")
        let signing = try #require(await emulator.addTokenSigningCertificate(servicePrincipal: saml, expires: Date().addingTimeInterval(90 * 86_400)))
        let own = await emulator.registerServicePrincipal(appID: apps[0], displayName: "app 0")
        let secret = try #require(await emulator.addSecret(servicePrincipal: own, expires: Date().addingTimeInterval(30 * 86_400)))

        let round = try await inventory.changes(of: .servicePrincipal)
        #expect(round.holder == .servicePrincipal && round.isFullRound)
        #expect(round.deltaLink.contains("/v1.0/servicePrincipals/delta"))
        let principal = try #require(round.applications.first { $0.objectID == saml })
        #expect(principal.appID == gallery)
        #expect(principal.secrets?.isEmpty == true, "the private key's password is part of the certificate")
        #expect(principal.certificates?.map(\.keyID) == [signing.verify], "the Verify key stands for the pair")
        #expect(principal.certificates?.first?.thumbprint == signing.thumbprint.map { String(format: "%02X", $0) }.joined())
        #expect(round.applications.first { $0.objectID == own }?.secrets?.map(\.keyID) == [secret.keyID])
        #expect(await emulator.requests().contains { $0.path == "/v1.0/servicePrincipals/delta" && $0.query.contains("$select=") })

        // The next round: the deleted service principal, by its id alone.
        await emulator.deleteServicePrincipal(saml)
        let next = try await inventory.changes(of: .servicePrincipal, since: round.deltaLink)
        #expect(!next.isFullRound && next.applications.isEmpty && next.removedObjectIDs == [saml])

        // One collection's link is not followed for the other.
        let crossed = await #expect(throws: RotationFailure.self) { try await inventory.changes(of: .application, since: round.deltaLink) }
        #expect(crossed?.reason.contains("not followed") == true)
        await emulator.stop()
    }

    @Test("an update that lists a SAML app's passwords without its keys still leaves out the private key's password")
    func partialUpdateOfSigningPassword() throws {
        let thumbprint = Data((0..<20).map { UInt8($0) }).base64EncodedString()
        let item = try JSONDecoder().decode(GraphDeltaItem.self, from: Data("""
            {"id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "passwordCredentials": [
              {"keyId": "6a0e7c1e-0d4a-4a5e-9d1e-1f2a3b4c5d6e", "customKeyIdentifier": "\(thumbprint)", "endDateTime": "2029-01-01T00:00:00Z"},
              {"keyId": "7b1f8d2f-1e5b-4b6f-8e2f-2a3b4c5d6e7f", "customKeyIdentifier": null, "hint": "abc", "endDateTime": "2027-01-01T00:00:00Z"}]}
            """.utf8))
        let application = TenantInventory.application(item)
        #expect(application.secrets?.map(\.keyID) == ["7b1f8d2f-1e5b-4b6f-8e2f-2a3b4c5d6e7f"])
        #expect(application.certificates == nil, "not listed: unchanged, not empty")
    }

    @Test("the emulator's delta pages are JSON whatever a display name holds")
    func pagesEscapeText() async throws {
        let (emulator, inventory, _) = try await Self.tenantWith(apps: 0)
        let name = "quote \" backslash \\ newline \n bell \u{07} slash / é 🔑"
        let appID = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: appID, displayName: name)
        await emulator.addSecret(appID: appID, value: SeededWorld.newSecretValue(), displayName: name, expires: Date().addingTimeInterval(86_400.5))
        let round = try await inventory.changes()
        let application = try #require(round.applications.first { $0.appID == appID })
        #expect(application.displayName == name)
        #expect(application.secrets?.first?.displayName == name)
        await emulator.stop()
    }
}

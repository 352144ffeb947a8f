import Emulators
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a tenant inventory reads from the emulated Graph (issue 15): every application, page by
/// page through `@odata.nextLink`, with `$select`, and certificate credentials beside secrets.
@Suite("Entra ID emulator: listing the tenant")
struct InventoryEmulatorTests {
    /// A started emulator with a scanner (`Application.Read.All`) and `count` other apps; returns
    /// the emulator, its URL and a token of the scanner.
    static func tenant(apps count: Int) async throws -> (EntraEmulator, URL, String) {
        let emulator = EntraEmulator()
        let url = try await emulator.start()
        let scanner = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: scanner, displayName: "scanner", roles: ["Application.Read.All"])
        let secret = SeededWorld.newSecretValue()
        await emulator.addSecret(appID: scanner, value: secret, expires: Date().addingTimeInterval(86_400))
        for index in 0..<count {
            let appID = UUID().uuidString.lowercased()
            await emulator.registerApplication(appID: appID, displayName: "app \(index)")
            await emulator.addSecret(appID: appID, value: SeededWorld.newSecretValue(), expires: Date().addingTimeInterval(Double(index + 1) * 86_400))
        }
        let form = "grant_type=client_credentials&client_id=\(scanner)&client_secret=\(secret)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        let (data, _) = try await URLSession.shared.data(for: EmulatorTests.request(url, "/t/oauth2/v2.0/token", method: "POST", body: Data(form.utf8)))
        let token = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["access_token"] as? String)
        return (emulator, url, token)
    }

    static func get(_ url: URL, token: String) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: url)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    @Test("every application, in pages of $top, following @odata.nextLink to the end, with only the $select-ed properties")
    func pagesThroughTheTenant() async throws {
        let (emulator, base, token) = try await Self.tenant(apps: 250)
        var next: String? = base.absoluteString + "/v1.0/applications?$select=id,appId,passwordCredentials,keyCredentials&$top=100"
        var pages: [[[String: Any]]] = []
        while let link = next {
            let (status, body) = try await Self.get(try #require(URL(string: link)), token: token)
            #expect(status == 200, "\(body)")
            pages.append(try #require(body["value"] as? [[String: Any]]))
            next = body["@odata.nextLink"] as? String
            if let next { #expect(next.hasPrefix(base.absoluteString + "/v1.0/applications?"), "\(next)") }
            if pages.count > 5 { break }
        }
        #expect(pages.map(\.count) == [100, 100, 51])
        let all = pages.flatMap { $0 }
        #expect(Set(all.compactMap { $0["appId"] as? String }).count == 251)
        #expect(all.allSatisfy { Set($0.keys) == ["id", "appId", "passwordCredentials", "keyCredentials"] })
        await emulator.stop()
    }

    @Test("without $top a page holds 100; $top outside 1...999 and a forged $skiptoken are refused")
    func pageSizeAndTokens() async throws {
        let (emulator, base, token) = try await Self.tenant(apps: 120)
        let (_, first) = try await Self.get(try #require(URL(string: base.absoluteString + "/v1.0/applications")), token: token)
        #expect((first["value"] as? [Any])?.count == 100)
        #expect(first["@odata.nextLink"] is String)
        for query in ["$top=0", "$top=1000", "$top=x", "$skiptoken=forged"] {
            let (status, body) = try await Self.get(try #require(URL(string: base.absoluteString + "/v1.0/applications?" + query)), token: token)
            #expect(status == 400, "\(query): \(body)")
        }
        await emulator.stop()
    }

    @Test("a certificate added through the control API is listed as Graph's keyCredential, thumbprint in customKeyIdentifier")
    func certificatesAreKeyCredentials() async throws {
        let (emulator, base, token) = try await Self.tenant(apps: 0)
        let appID = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: appID, displayName: "signed")
        let thumbprint = "00112233445566778899AABBCCDDEEFF00112233"
        let added = try await EmulatorTests.json(
            base, "/_emulator/applications/\(appID)/certificates",
            ["endDateTime": "2027-06-01T00:00:00Z", "displayName": "CN=signed", "thumbprint": thumbprint])
        #expect(added["thumbprint"] as? String == thumbprint)
        let (status, body) = try await Self.get(
            try #require(URL(string: base.absoluteString + "/v1.0/applications?$filter=appId%20eq%20'\(appID)'&$select=keyCredentials")), token: token)
        #expect(status == 200)
        let credential = try #require(((body["value"] as? [[String: Any]])?.first?["keyCredentials"] as? [[String: Any]])?.first)
        #expect(credential["keyId"] as? String == added["keyId"] as? String)
        #expect(credential["customKeyIdentifier"] as? String == Data(stride(from: 0, to: 40, by: 2).map { index in
            UInt8(thumbprint.dropFirst(index).prefix(2), radix: 16)!
        }).base64EncodedString())
        #expect(credential["type"] as? String == "AsymmetricX509Cert")
        #expect(credential["endDateTime"] as? String == "2027-06-01T00:00:00Z")
        #expect(credential["key"] is NSNull)
        await emulator.stop()
    }

    /// Follows one delta round from `link` to its `@odata.deltaLink`; returns the items and that link.
    static func deltaRound(_ link: String, token: String, pageSize: Int? = nil) async throws -> ([[String: Any]], String, Int) {
        var next: String? = link
        var items: [[String: Any]] = []
        var pages = 0
        while let url = next, pages < 50 {
            var request = URLRequest(url: try #require(URL(string: url)))
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            if let pageSize { request.setValue("odata.maxpagesize=\(pageSize)", forHTTPHeaderField: "Prefer") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            try #require((response as? HTTPURLResponse)?.statusCode == 200, "\(body)")
            pages += 1
            items += try #require(body["value"] as? [[String: Any]])
            #expect(!(body["@odata.nextLink"] != nil && body["@odata.deltaLink"] != nil), "a page holds both links")
            if let delta = body["@odata.deltaLink"] as? String { return (items, delta, pages) }
            next = body["@odata.nextLink"] as? String
        }
        Issue.record("no @odata.deltaLink after \(pages) pages")
        return (items, "", pages)
    }

    @Test("delta: a first round lists everything in pages; the next lists only what changed, removals as @removed")
    func deltaRounds() async throws {
        let (emulator, base, token) = try await Self.tenant(apps: 30)
        let start = base.absoluteString + "/v1.0/applications/delta?$select=appId,passwordCredentials,keyCredentials"
        let (first, deltaLink, pages) = try await Self.deltaRound(start, token: token, pageSize: 8)
        #expect(first.count == 31)
        #expect(pages == 4)
        #expect(first.allSatisfy { Set($0.keys) == ["id", "appId", "passwordCredentials", "keyCredentials"] })

        // Nothing changed: an empty round, and a new link.
        let (quiet, quietLink, _) = try await Self.deltaRound(deltaLink, token: token)
        #expect(quiet.isEmpty)

        // An app added, a secret added to another, a certificate to a third, one deleted.
        let apps = first.compactMap { $0["appId"] as? String }
        let added = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: added, displayName: "new")
        await emulator.addSecret(appID: apps[1], value: SeededWorld.newSecretValue(), expires: Date().addingTimeInterval(9 * 86_400))
        await emulator.addCertificate(appID: apps[2], expires: Date().addingTimeInterval(90 * 86_400))
        let deletedObject = try #require(first.first { $0["appId"] as? String == apps[3] }?["id"] as? String)
        #expect(await emulator.deleteApplication(appID: apps[3]))
        let (changes, _, _) = try await Self.deltaRound(quietLink, token: token)
        #expect(Set(changes.compactMap { $0["appId"] as? String }) == [added, apps[1], apps[2]])
        let removed = changes.filter { $0["@removed"] != nil }
        #expect(removed.count == 1)
        #expect(removed.first?["id"] as? String == deletedObject)
        #expect((removed.first?["@removed"] as? [String: Any])?["reason"] as? String == "changed")
        let certificates = changes.first { $0["appId"] as? String == apps[2] }?["keyCredentials"] as? [Any]
        #expect(certificates?.count == 1)
        await emulator.stop()
    }

    @Test("delta: an expired token is refused as Graph does (400 syncStateNotFound, or 410 resyncRequired), and a forged one as invalid")
    func expiredDeltaToken() async throws {
        let (emulator, base, token) = try await Self.tenant(apps: 3)
        let (_, deltaLink, _) = try await Self.deltaRound(base.absoluteString + "/v1.0/applications/delta", token: token)
        await emulator.expireDeltaTokens()
        var (status, body) = try await Self.get(try #require(URL(string: deltaLink)), token: token)
        #expect(status == 400)
        #expect((body["error"] as? [String: Any])?["code"] as? String == "syncStateNotFound")
        await emulator.expireDeltaTokens(gone: true)
        (status, body) = try await Self.get(try #require(URL(string: deltaLink)), token: token)
        #expect(status == 410)
        #expect((body["error"] as? [String: Any])?["code"] as? String == "resyncRequired")
        (status, _) = try await Self.get(try #require(URL(string: base.absoluteString + "/v1.0/applications/delta?$deltatoken=forged")), token: token)
        #expect(status == 400)
        // A full round starts again and works.
        let (again, _, _) = try await Self.deltaRound(base.absoluteString + "/v1.0/applications/delta", token: token)
        #expect(again.count == 4)
        await emulator.stop()
    }
}

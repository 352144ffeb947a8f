import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import JamfPro
@testable import JamfProAPI

/// The emulator's `/_emulator/` endpoints, as another process (an end-to-end test, a demo script)
/// uses them over HTTP.
@Suite struct EmulatorControlTests {
    static func call(_ url: URL, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (Int, Any?) {
        var request = URLRequest(url: url.appendingPathComponent(String(path.dropFirst())))
        request.httpMethod = method
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, data.isEmpty ? nil : try JSONSerialization.jsonObject(with: data))
    }

    @Test func setUpFaultsAndInspectionOverHTTP() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            #expect(try await Self.call(url, "POST", "/_emulator/api-clients", ["clientId": "AAAAAAAA-0000-0000-0000-000000000001", "clientSecret": "s1", "integrationId": 9]).0 == 201)
            #expect(try await Self.call(url, "POST", "/_emulator/computers", ["id": "77", "complianceState": "NON_COMPLIANT"]).0 == 201)
            #expect(try await Self.call(url, "POST", "/_emulator/faults", ["operation": "token", "fault": "server-error", "status": 502, "times": 1]).0 == 204)
            #expect(try await Self.call(url, "POST", "/_emulator/faults", ["operation": "nope", "fault": "hang"]).0 == 400)
            #expect(try await Self.call(url, "PUT", "/_emulator/config", ["tokenLifetime": 120]).0 == 204)

            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let credentials = JamfAPIClientCredentials(clientID: "aaaaaaaa-0000-0000-0000-000000000001", clientSecret: SecureBytes(copying: Array("s1".utf8)))
            let token = try await client.token(for: credentials)
            #expect(token.expiresAt < Date().addingTimeInterval(121))

            let (_, saved) = try await Self.call(url, "GET", "/_emulator/api-clients/9")
            #expect((saved as? [String: Any])?["clientSecret"] as? String == "s1")
            let (_, log) = try await Self.call(url, "GET", "/_emulator/requests")
            let statuses = (log as? [[String: Any]])?.compactMap { $0["status"] as? Int }
            #expect(statuses == [502, 200])
            #expect(await emulator.requests().count == 2)

            #expect(try await Self.call(url, "GET", "/_emulator/intune-integration").0 == 404)
            let redacted = PayloadTests.update(reveal: false).json().withUnsafeBytes { Data($0) }
            var put = URLRequest(url: url.appendingPathComponent("_emulator/intune-integration"))
            put.httpMethod = "PUT"
            put.httpBody = redacted
            let (_, response) = try await URLSession.shared.data(for: put)
            #expect((response as? HTTPURLResponse)?.statusCode == 422)
            put.httpBody = PayloadTests.update(reveal: true).json().withUnsafeBytes { Data($0) }
            _ = try await URLSession.shared.data(for: put)
            let (status, integration) = try await Self.call(url, "GET", "/_emulator/intune-integration")
            #expect(status == 200)
            #expect((integration as? [String: Any])?["clientSecret"] as? String == Sample.secretText)
            #expect((integration as? [String: Any])?["enabled"] as? Bool == true)
            #expect(try await Self.call(url, "DELETE", "/_emulator/faults").0 == 204)
            #expect(try await Self.call(url, "GET", "/_emulator/nothing").0 == 404)
        }
    }

    @Test func latencyDelaysEveryAPIAnswer() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.setLatency(0.4)
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let start = Date()
            _ = try await client.token(for: JamfProClientTests.credentials)
            #expect(Date().timeIntervalSince(start) >= 0.39)
        }
    }
}

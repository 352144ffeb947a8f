import Emulators
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The emulator itself: what other tests and the `secrets-emulator` users rely on.
@Suite("Entra ID emulator")
struct EmulatorTests {
    @Test("starts on an ephemeral loopback port and stops quickly, even with a request held by a hang")
    func startAndStop() async throws {
        let emulator = EntraEmulator()
        let url = try await emulator.start()
        #expect(url.host == "127.0.0.1")
        #expect(url.port != nil && url.port != 0)
        await emulator.injectFault(.hang(seconds: 30), on: .token)
        let hung = Task { try? await URLSession.shared.data(for: Self.request(url, "/t/oauth2/v2.0/token", method: "POST", body: Data())) }
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        let started = clock.now
        await emulator.stop()
        let stopping = clock.now - started
        #expect(stopping < .seconds(1), "stop took \(stopping)")
        // Not cancelled: cancelling Foundation's async data(for:) on Linux can deadlock with
        // its completion; the stopped server ends the request anyway.
        _ = await hung.value
    }

    @Test("a dropped connection sends not a single byte")
    func dropSendsNothing() async throws {
        let emulator = EntraEmulator()
        let url = try await emulator.start()
        await emulator.injectFault(.dropConnection, on: .listApplications)
        let received = try Self.rawExchange(port: UInt16(url.port!), "GET /v1.0/applications HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(received.isEmpty)
        // The next one is answered (401: no token).
        let answered = try Self.rawExchange(port: UInt16(url.port!), "GET /v1.0/applications HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: answered, as: UTF8.self).hasPrefix("HTTP/1.1 401"))
        #expect(await emulator.requests().map(\.status) == [0, 401])
        await emulator.stop()
    }

    @Test("the control API seeds apps and secrets, injects faults, configures and answers accepts")
    func controlAPI() async throws {
        let emulator = EntraEmulator()
        let url = try await emulator.start()
        let appID = UUID().uuidString.lowercased()
        let registered = try await Self.json(url, "/_emulator/applications", ["appId": appID, "displayName": "demo", "roles": ["Application.ReadWrite.All"]])
        #expect((registered["id"] as? String)?.isEmpty == false)
        let seeded = try await Self.json(url, "/_emulator/applications/\(appID)/secrets", ["endDateTime": "2031-01-01T00:00:00Z"])
        let value = try #require(seeded["secretText"] as? String)
        #expect(value.count == 40)
        #expect(await emulator.accepts(appID: appID, secret: value))

        let listed = try await Self.json(url, "/_emulator/applications/\(appID)/secrets", nil)
        let secrets = try #require(listed["value"] as? [[String: Any]])
        #expect(secrets.first?["secretText"] as? String == value)
        #expect(secrets.first?["hint"] as? String == String(value.prefix(3)))

        var accepts = Self.request(url, "/_emulator/accepts?appId=\(appID)", method: "POST", body: Data(value.utf8))
        accepts.setValue("text/plain", forHTTPHeaderField: "Content-Type")
        let (answer, _) = try await URLSession.shared.data(for: accepts)
        #expect((try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["accepts"] as? Bool == true)

        let config = try await Self.json(url, "/_emulator/config", ["latencyMs": 5, "maxLifetimeDays": 30])
        #expect(config["maxLifetimeDays"] as? Double == 30)
        _ = try await Self.json(url, "/_emulator/faults", ["operation": "token", "status": 503, "times": 1], expectStatus: 204)
        let (_, tokenResponse) = try await URLSession.shared.data(for: Self.request(url, "/t/oauth2/v2.0/token", method: "POST", body: Data()))
        #expect((tokenResponse as? HTTPURLResponse)?.statusCode == 503)
        #expect((tokenResponse as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After") == "1")
        await emulator.stop()
    }

    @Test("answerDelayMs does the operation at once and holds only the answer (a lost answer when the client dies meanwhile)")
    func slowAnswer() async throws {
        let emulator = EntraEmulator()
        let url = try await emulator.start()
        let appID = UUID().uuidString.lowercased()
        _ = try await Self.json(url, "/_emulator/applications", ["appId": appID])
        let seeded = try await Self.json(url, "/_emulator/applications/\(appID)/secrets", ["endDateTime": "2031-01-01T00:00:00Z"])
        let value = try #require(seeded["secretText"] as? String)
        _ = try await Self.json(url, "/_emulator/faults", ["operation": "token", "answerDelayMs": 800], expectStatus: 204)
        let form = "grant_type=client_credentials&client_id=\(appID)&client_secret=\(value)&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        let clock = ContinuousClock()
        let started = clock.now
        let answered = Task { try await URLSession.shared.data(for: Self.request(url, "/t/oauth2/v2.0/token", method: "POST", body: Data(form.utf8))) }
        // The token was issued (and logged) long before the client hears about it.
        var logged: [Int] = []
        while logged.isEmpty, clock.now - started < .milliseconds(600) {
            try await Task.sleep(for: .milliseconds(20))
            logged = await emulator.requests().map(\.status)
        }
        #expect(logged == [200], "the operation should be done before the answer")
        #expect(clock.now - started < .milliseconds(600))
        let (_, response) = try await answered.value
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(clock.now - started >= .milliseconds(800))
        _ = try await Self.json(url, "/_emulator/faults", ["operation": "token"], expectStatus: 400)
        await emulator.stop()
    }

    @Test("Graph answers: $filter lookup, passwordCredentials without values, addPassword with a 40-character secret")
    func graphShapes() async throws {
        let emulator = EntraEmulator(configuration: .init(replicationDelay: .seconds(30)))
        let url = try await emulator.start()
        let caller = UUID().uuidString.lowercased()
        let target = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: caller, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
        let objectID = await emulator.registerApplication(appID: target, displayName: "target", owners: [caller])
        await emulator.addSecret(appID: caller, value: "cal8Q~caller-secret-value-0123456789abcd", expires: Date().addingTimeInterval(600))

        var form = Self.request(url, "/contoso.onmicrosoft.com/oauth2/v2.0/token", method: "POST",
                                body: Data("client_id=\(caller)&client_secret=cal8Q~caller-secret-value-0123456789abcd&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default".utf8))
        form.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (tokenBody, _) = try await URLSession.shared.data(for: form)
        let token = try #require((try JSONSerialization.jsonObject(with: tokenBody) as? [String: Any])?["access_token"] as? String)

        var components = URLComponents(url: url.appendingPathComponent("v1.0/applications"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "$filter", value: "appId eq '\(target)'")]
        var list = URLRequest(url: components.url!)
        list.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (listBody, _) = try await URLSession.shared.data(for: list)
        let apps = try #require((try JSONSerialization.jsonObject(with: listBody) as? [String: Any])?["value"] as? [[String: Any]])
        #expect(apps.map { $0["id"] as? String } == [objectID])

        var add = Self.request(url, "/v1.0/applications/\(objectID)/addPassword", method: "POST",
                               body: Data(#"{"passwordCredential":{"displayName":"x","endDateTime":"2030-01-01T00:00:00Z"}}"#.utf8))
        add.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (addBody, _) = try await URLSession.shared.data(for: add)
        let added = try #require(try JSONSerialization.jsonObject(with: addBody) as? [String: Any])
        let secretText = try #require(added["secretText"] as? String)
        #expect(secretText.count == 40)
        #expect(added["hint"] as? String == String(secretText.prefix(3)))
        #expect(added["endDateTime"] as? String == "2030-01-01T00:00:00Z")
        // Not replicated yet (30 s), so the new secret is refused like a wrong one.
        #expect(await emulator.accepts(appID: target, secret: secretText) == false)

        var read = Self.request(url, "/v1.0/applications(appId='\(target)')", method: "GET", body: nil)
        read.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (readBody, _) = try await URLSession.shared.data(for: read)
        let credentials = try #require((try JSONSerialization.jsonObject(with: readBody) as? [String: Any])?["passwordCredentials"] as? [[String: Any]])
        #expect(credentials.count == 1)
        #expect(credentials.first?["secretText"] is NSNull)
        #expect(!String(decoding: readBody, as: UTF8.self).contains(secretText))
        await emulator.stop()
    }

    // MARK: Helpers

    static func request(_ url: URL, _ path: String, method: String, body: Data?) -> URLRequest {
        var request = URLRequest(url: URL(string: url.absoluteString + path)!)
        request.httpMethod = method
        request.httpBody = body
        return request
    }

    static func json(_ url: URL, _ path: String, _ body: [String: Any]?, expectStatus: Int = 200) async throws -> [String: Any] {
        var request = request(url, path, method: body == nil ? "GET" : "POST", body: try body.map { try JSONSerialization.data(withJSONObject: $0) })
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == expectStatus)
        guard !data.isEmpty else { return [:] }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Sends `text` on a fresh TCP connection and returns every byte received until the server closes.
    static func rawExchange(port: UInt16, _ text: String) throws -> [UInt8] {
        struct SocketError: Error { var step: String }
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw SocketError(step: "socket") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SocketError(step: "connect") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw SocketError(step: "send") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { received += buffer[0..<count] } else if count == 0 { break } else { throw SocketError(step: "recv") }
        }
        return received
    }
}

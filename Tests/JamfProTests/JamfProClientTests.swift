import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import HTTPClient
import Testing

@testable import JamfPro
@testable import JamfProAPI

/// The Jamf Pro API client over real loopback HTTP to the emulator: authentication, the
/// Conditional Access reads, and the retry rules.
@Suite struct JamfProClientTests {
    static let credentials = JamfAPIClientCredentials(
        clientID: EmulatorHarness.clientID, clientSecret: SecureBytes(copying: Array(EmulatorHarness.clientSecret.utf8)))

    @Test func aTokenOpensTheConditionalAccessReads() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let token = try await client.token(for: Self.credentials)
            #expect(token.expiresAt > Date().addingTimeInterval(500))
            #expect(token.scope == "api-role:1")
            let toggle = try await client.deviceComplianceFeatureToggle(token: token)
            #expect(toggle.sharedDeviceFeatureEnabled == false)
            // No integration saved yet: Jamf Pro knows nothing of the computer's compliance.
            #expect(try await client.complianceInformation(computerID: EmulatorHarness.canary, token: token) == [])
            let requests = await emulator.requests()
            #expect(requests.map(\.operation) == [.token, .featureToggle, .complianceInformation])
            #expect(requests.map(\.hadBearer) == [false, true, true])
        }
    }

    @Test func aWrongSecretIsAnAuthenticationFailureNamingInvalidClient() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let wrong = JamfAPIClientCredentials(clientID: EmulatorHarness.clientID, clientSecret: SecureBytes(copying: Array("wrong-secret-value".utf8)))
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: wrong) }
            guard let text = error.flatMap({ $0.code == .authenticationFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("invalid_client"))
            #expect(text.contains(EmulatorHarness.clientID))
            #expect(!text.contains("wrong-secret-value"))
        }
    }

    @Test func aBadBearerTokenIsRefused() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let forged = JamfAccessToken(value: SecureBytes(copying: Array("forged".utf8)), expiresAt: .distantFuture, scope: nil)
            await #expect(throws: RotationFailure.self) { try await client.deviceComplianceFeatureToggle(token: forged) }
            do {
                _ = try await client.deviceComplianceFeatureToggle(token: forged)
            } catch let caught as RotationFailure where caught.code == .authenticationFailed {
                let text = caught.reason
                #expect(text.contains("401"))
            }
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.setTokenLifetime(0.3)
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let token = try await client.token(for: Self.credentials)
            try await Task.sleep(nanoseconds: 500_000_000)
            await #expect(throws: RotationFailure.authenticationFailed(
                "Jamf Pro at 127.0.0.1 refused the access token for the feature-toggle read (HTTP 401): INVALID_TOKEN Unauthorized")) {
                try await client.deviceComplianceFeatureToggle(token: token)
            }
        }
    }

    @Test func anUnknownComputerIsNotFound() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let token = try await client.token(for: Self.credentials)
            let error = await #expect(throws: RotationFailure.self) { try await client.complianceInformation(computerID: "999", token: token) }
            guard let text = error.flatMap({ $0.code == .notFound ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("computer 999"))
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.injectFault(.throttle(retryAfter: 1), on: .token, times: 1)
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let start = Date()
            _ = try await client.token(for: Self.credentials)
            #expect(Date().timeIntervalSince(start) >= 0.95)
            #expect(await emulator.requests().map(\.status) == [429, 200])
        }
    }

    @Test func aRetryAfterLongerThanAllowedEndsTheCallAtOnce() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.injectFault(.throttle(retryAfter: 3600), on: .token, times: 1)
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("3600 s"))
            #expect(Date().timeIntervalSince(start) < 4)
        }
    }

    @Test func serverErrorsAreRetriedAFixedNumberOfTimes() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            await emulator.injectFault(.serverError(status: 503), on: .token, times: 2)
            _ = try await client.token(for: Self.credentials)
            #expect(await emulator.requests().map(\.status) == [503, 503, 200])

            await emulator.injectFault(.serverError(status: 500), on: .token, times: 10)
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("after 3 attempts"))
            #expect(text.contains("HTTP 500"))
            #expect(await emulator.requests().count == 6)
        }
    }

    /// The retry rules Jamf Pro shares with Graph (`HTTPClient.RetryLoop`): a 5xx that no retry
    /// mends is final, a 503's `Retry-After` is waited, and no attempt starts past the time cap.
    @Test func onlyTransientServerErrorsAreRetried() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            await emulator.injectFault(.serverError(status: 501), on: .token, times: 10)
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unexpectedResponse ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("HTTP 501"), "\(text)")
            #expect(await emulator.requests().map(\.status) == [501])
        }
    }

    @Test func aRetryAfterOnA503IsWaited() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.injectFault(.serverError(status: 503, retryAfter: 1), on: .token, times: 1)
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let start = Date()
            _ = try await client.token(for: Self.credentials)
            // The quick configuration's backoff is at most 0.2 s: only the header explains a second.
            #expect(Date().timeIntervalSince(start) >= 0.95)
            #expect(await emulator.requests().map(\.status) == [503, 200])
        }
    }

    @Test func noAttemptStartsPastTheTimeCap() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.injectFault(.throttle(retryAfter: 2), on: .token, times: 10)
            var configuration = EmulatorHarness.quick
            configuration.maximumTotalTime = 1
            let client = try JamfProClient(url: url.absoluteString, configuration: configuration)
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("after 1 attempt; last: HTTP 429 (throttled)"), "\(text)")
            #expect(await emulator.requests().map(\.status) == [429])
        }
    }

    @Test func aHangingServerTimesOutAsUnavailable() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let configuration = JamfProClient.Configuration(requestTimeout: 0.5, maximumAttempts: 2, initialBackoff: 0.05, maximumBackoff: 0.1)
            let client = try JamfProClient(url: url.absoluteString, configuration: configuration)
            await emulator.injectFault(.hang, on: .token, times: 2)
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("no answer within 1 s"))
            #expect(Date().timeIntervalSince(start) < 8)
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            await emulator.injectFault(.dropConnection, on: .featureToggle, times: 1)
            let token = try await client.token(for: Self.credentials)
            _ = try await client.deviceComplianceFeatureToggle(token: token)
            #expect(await emulator.requests().map(\.operation).filter { $0 == .featureToggle }.count == 2)
        }
    }

    @Test func noSecretOrTokenTravelsInAURL() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let client = try JamfProClient(url: url.absoluteString, configuration: EmulatorHarness.quick)
            let token = try await client.token(for: Self.credentials)
            _ = try await client.regenerateClientCredentials(integrationID: EmulatorHarness.integrationID, token: token)
            let tokenText = Sample.text(token.value)
            for request in await emulator.requests() {
                #expect(request.query.isEmpty)
                #expect(!request.path.contains(EmulatorHarness.clientSecret))
                #expect(!request.path.contains(tokenText))
            }
        }
    }

    @Test(arguments: ["http://jamf.example.com", "ftp://127.0.0.1", "https://user:pw@example.jamfcloud.com", "https://example.jamfcloud.com/?x=1", "not a url"])
    func urlsThatWouldExposeSecretsAreRefused(url: String) {
        #expect(throws: RotationFailure.self) { try JamfProClient(url: url) }
    }

    @Test func idsMustBeNumbers() async throws {
        let client = try JamfProClient(url: "https://example.jamfcloud.com")
        let token = JamfAccessToken(value: SecureBytes(copying: Array("t".utf8)), expiresAt: .distantFuture, scope: nil)
        await #expect(throws: RotationFailure.self) { try await client.complianceInformation(computerID: "../../x", token: token) }
        await #expect(throws: RotationFailure.self) { try await client.regenerateClientCredentials(integrationID: "1?x", token: token) }
    }

    @Test func formEncodingEscapesEverySpecialCharacter() {
        let credentials = JamfAPIClientCredentials(clientID: "id", clientSecret: SecureBytes(copying: Array("a b&c=d+é".utf8)))
        let form = String(decoding: JamfProClient.form(credentials), as: UTF8.self)
        #expect(form == "grant_type=client_credentials&client_id=id&client_secret=a+b%26c%3Dd%2B%C3%A9")
    }

    // MARK: Hostile servers (issue 19: bounded HTTP)

    /// Runs `body` against a ``HostileServer`` in `mode`.
    static func withHostile(_ mode: HostileMode, retryAfterValues: [String] = ["inf", "-1", "1e308"], _ body: (HostileServer, JamfProClient) async throws -> Void) async throws {
        let server = HostileServer(mode: mode, retryAfterValues: retryAfterValues)
        let url = try server.start()
        defer { server.stop() }
        let configuration = JamfProClient.Configuration(requestTimeout: 2, maximumAttempts: 4, initialBackoff: 0.05, maximumBackoff: 0.1)
        try await body(server, try JamfProClient(url: url.absoluteString, configuration: configuration))
    }

    @Test func retryAfterThatNoIntegerHoldsNeitherCrashesNorWaits() async throws {
        // inf and -1 are no Retry-After (backoff instead); 1e308 is far longer than allowed: the call ends there.
        try await Self.withHostile(.retryAfterOverflow) { server, client in
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("asked to wait more than 1000000000 s"), "\(text)")
            #expect(server.requests.count == 3)
            #expect(Date().timeIntervalSince(start) < 5)
        }
    }

    @Test(arguments: ["99999999999999999", "1e308", "Fri, 31 Dec 9999 23:59:59 GMT"])
    func aHugeRetryAfterEndsTheCallAtOnce(value: String) async throws {
        try await Self.withHostile(.retryAfterOverflow, retryAfterValues: [value]) { server, client in
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("asked to wait"), "\(text)")
            #expect(server.requests.count == 1)
        }
    }

    @Test func retryAfterParsingClampsEveryNumberBeforeConversion() {
        for text in ["inf", "-inf", "nan", "-1", "", "  ", "abc", "0x", String(repeating: "9", count: 400)] {
            #expect(RetryAfter.parse(text) == nil, "\(text)")
        }
        for text in ["99999999999999999", "1e308", "1.7976931348623157e308", "0x1p1000"] {
            let wait = RetryAfter.parse(text)
            #expect(wait?.seconds == RetryAfter.ceiling, "\(text)")
            #expect(wait?.exceeds(.seconds(60)) == true)
            #expect(wait?.delay(atMost: .seconds(60)) == .seconds(60))
            #expect(wait?.description == "more than 1000000000 s")
        }
        #expect(RetryAfter.parse("3600")?.description == "3600 s")
        #expect(RetryAfter.parse("1.5")?.delay(atMost: .seconds(60)) == .milliseconds(1500))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", now: now)?.seconds == RetryAfter.ceiling)
        #expect(RetryAfter.parse("Thu, 01 Jan 1970 00:00:00 GMT", now: now)?.seconds == 0)
    }

    @Test func aHugeExpiresInIsClamped() async throws {
        try await Self.withHostile(.hugeExpiresIn) { _, client in
            for _ in 0..<2 {  // 1e308, then 99999999999999999999
                let token = try await client.token(for: Self.credentials)
                #expect(token.expiresAt <= Date().addingTimeInterval(86_401))
                #expect(token.expiresAt > Date())
            }
        }
        #expect(ServerSeconds.clamp("inf", to: 0...86_400, fallback: 60) == 60)
        #expect(ServerSeconds.clamp("nan", to: 0...86_400, fallback: 60) == 60)
        #expect(ServerSeconds.clamp("-5", to: 0...86_400, fallback: 60) == 0)
        #expect(ServerSeconds.clamp(Double?.none, to: 0...86_400, fallback: 1e308) == 86_400)
    }

    @Test func aRedirectFromTheTokenEndpointIsReportedAsARedirect() async throws {
        try await Self.withHostile(.redirect) { server, client in
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .misconfigured ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("answered with a redirect (HTTP 302) to https://elsewhere.invalid; redirects are not followed: check the URL"), "\(text)")
            #expect(!text.contains(HostileServer.marker))
            #expect(server.requests.count == 1)
        }
    }

    @Test(arguments: [HostileMode.hugeBody, .endlessChunked, .gzipBomb])
    func anOversizedAnswerIsRefusedWithoutARetry(mode: HostileMode) async throws {
        try await Self.withHostile(mode) { server, client in
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unexpectedResponse ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains(mode == .gzipBomb ? "compressed body (Content-Encoding: gzip)" : "more than 1 MiB; refusing it"), "\(text)")
            #expect(server.requests.count == 1)
            // Generous: the limit, not the deadline (2 s), must end it.
            #expect(Date().timeIntervalSince(start) < 2)
            print("\(mode): refused after \(Date().timeIntervalSince(start)) s; \(server.bytesWritten) bytes written by then")
            try await Task.sleep(for: .seconds(1))
            print("\(mode): \(server.bytesWritten) bytes written 1 s later")
        }
        // Nothing goes on inflating the bomb behind the refusal: the next request of this process
        // reaches its server at once (under URLSession it waited 20-30 s).
        let aftermath = try await GzipBomb.waitOutAftermath { url in
            let client = try JamfProClient(url: url.absoluteString, configuration: .init(requestTimeout: 1, maximumAttempts: 1))
            _ = try? await client.token(for: Self.credentials)
        }
        print("\(mode): other requests of the process could start again after \(aftermath)")
        #expect(aftermath < .seconds(5), "a request after the bomb waited \(aftermath)")
    }

    @Test func aTrickleEndsAtTheDeadline() async throws {
        try await Self.withHostile(.slowDrip) { server, client in
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await client.token(for: Self.credentials) }
            guard let text = error.flatMap({ $0.code == .unavailable ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("no answer within 2 s"), "\(text)")
            #expect(server.requests.count == 4)
            // 4 deadlines of 2 s and three short backoffs (about 11.5 s), with a wide margin: the hostile
            // server runs in this test's own process, and a full-suite run measured 22.3 s here (the
            // built binary against the same server ends within its bound: HostileHTTPTests).
            #expect(Date().timeIntervalSince(start) < 11.5 + 20)
        }
    }
}

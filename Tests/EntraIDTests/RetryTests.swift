import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import HTTPClient
import Rotation
import Testing
@testable import EntraID

@Suite("retries: throttling, server errors, timeouts, dropped connections")
struct RetryTests {
    @Test("429 with Retry-After is waited out in full, then the call succeeds")
    func honoursRetryAfter() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "warm-up")  // token and first read out of the way
            await fixture.emulator.injectFault(.status(429, retryAfter: 2), on: .getApplication)
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await issuer.secrets(markedWith: "x")
            let elapsed = clock.now - started
            #expect(elapsed >= .seconds(2))
            #expect(elapsed < .seconds(5))
            #expect(await fixture.requests(.getApplication).map(\.status) == [200, 429, 200])
        }
    }

    @Test("500 and 503 are retried; the secret is created once")
    func serverErrorsAreRetried() async throws {
        try await EntraFixture.with { fixture in
            await fixture.emulator.injectFault(.status(500), on: .addPassword)
            await fixture.emulator.injectFault(.status(503, retryAfter: 0), on: .addPassword)
            let issued = try await fixture.issuer().createSecret(SecretRequest(displayName: "secrets:r-5xx", expires: Date().addingTimeInterval(86_400)))
            #expect(await fixture.requests(.addPassword).map(\.status) == [500, 503, 200])
            #expect(await fixture.emulator.secrets(ofApp: fixture.appID).map(\.keyID) == [issued.keyID])
        }
    }

    @Test("a token endpoint answering 503 is retried too")
    func tokenEndpointRetried() async throws {
        try await EntraFixture.with { fixture in
            await fixture.emulator.injectFault(.status(503, retryAfter: 0), on: .token, times: 2)
            _ = try await fixture.issuer().secrets(markedWith: "x")
            #expect(await fixture.requests(.token).map(\.status) == [503, 503, 200])
        }
    }

    @Test("retries are bounded: then unavailable, naming the operation and the last answer")
    func boundedRetries() async throws {
        try await EntraFixture.with(session: EntraFixture.fastSession(attempts: 3)) { fixture in
            await fixture.emulator.injectFault(.status(503, retryAfter: 0), on: .getApplication, times: 10)
            let failure = await rotationFailure { _ = try await fixture.issuer().secrets(markedWith: "x") }
            #expect(failure?.code == .unavailable)
            let text = failure?.description ?? ""
            #expect(text.contains("reading app \(fixture.appID)"))
            #expect(text.contains("3 attempts"))
            #expect(text.contains("503"))
            #expect(text.contains("ServiceUnavailable"))
            #expect(await fixture.requests(.getApplication).count == 3)
        }
    }

    @Test("a hung request times out and is retried")
    func hangTimesOutAndRetries() async throws {
        try await EntraFixture.with(session: EntraFixture.fastSession(timeout: .milliseconds(500))) { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "warm-up")
            await fixture.emulator.injectFault(.hang(seconds: 5), on: .getApplication)
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await issuer.secrets(markedWith: "x")
            let elapsed = clock.now - started
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(3))
        }
    }

    @Test("a hung request with no retries left is unavailable and says it timed out")
    func hangWithoutRetries() async throws {
        try await EntraFixture.with(session: EntraFixture.fastSession(timeout: .seconds(1), attempts: 1)) { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "warm-up")
            await fixture.emulator.injectFault(.hang(seconds: 5), on: .getApplication)
            let failure = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
            #expect(failure?.code == .unavailable)
            #expect(failure?.description.contains("no response within 1.0 s") == true)
        }
    }

    @Test("cancelling the caller ends a hung request at once")
    func cancellationEndsTheRequest() async throws {
        try await EntraFixture.with(session: EntraFixture.fastSession(timeout: .seconds(20))) { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "warm-up")
            await fixture.emulator.injectFault(.hang(seconds: 20), on: .getApplication)
            let clock = ContinuousClock()
            let started = clock.now
            let call = Task { await rotationFailure { _ = try await issuer.secrets(markedWith: "x") } }
            try await Task.sleep(for: .milliseconds(200))
            call.cancel()
            let failure = await call.value
            #expect(clock.now - started < .seconds(3))
            #expect(failure?.code == .unavailable)
            #expect(failure?.description.contains("cancelled") == true)
        }
    }

    @Test("a dropped connection is retried")
    func droppedConnectionIsRetried() async throws {
        try await EntraFixture.with { fixture in
            let issuer = fixture.issuer()
            await fixture.emulator.injectFault(.dropConnection, on: .getApplication, times: 2)
            _ = try await issuer.secrets(markedWith: "x")
            let statuses = await fixture.requests(.getApplication).map(\.status)
            #expect(statuses == [0, 0, 200])
        }
    }

    @Test("dropped connections without retries: unavailable, and the client saw no response at all")
    func droppedConnectionIsNotAResponse() async throws {
        try await EntraFixture.with(session: EntraFixture.fastSession(attempts: 1)) { fixture in
            await fixture.emulator.injectFault(.dropConnection, on: .getApplication, times: 5)
            let failure = await rotationFailure { _ = try await fixture.issuer().secrets(markedWith: "x") }
            #expect(failure?.code == .unavailable)
            #expect(failure?.description.contains("closed without a response") == true)
        }
    }

    @Test("a secret created by an attempt whose answer was lost is removed after the retry succeeds")
    func lostAnswerLeavesNoOrphan() async throws {
        let session = GraphSession(configuration: .init(
            requestTimeout: .milliseconds(400),
            retry: RetryPolicy(maximumAttempts: 3, initialBackoff: .seconds(1), jitter: 0)
        ))
        try await EntraFixture.with(session: session) { fixture in
            let issuer = fixture.issuer()
            _ = try await issuer.secrets(markedWith: "warm-up")
            // The first addPassword is answered after the client gave up, but it does create a secret.
            await fixture.emulator.injectFault(.slow(.milliseconds(600)), on: .addPassword)
            let issued = try await issuer.createSecret(SecretRequest(displayName: "secrets:r-lost", expires: Date().addingTimeInterval(86_400)))
            #expect(await fixture.requests(.addPassword).count == 2)
            let held = await fixture.emulator.secrets(ofApp: fixture.appID)
            #expect(held.map(\.keyID) == [issued.keyID])
            #expect(held.first?.value == issued.value.text)
        }
    }

    // MARK: Hostile servers (issue 19: bounded HTTP)

    /// The issuer of an app whose token endpoint and Graph are a ``HostileServer`` in `mode`.
    static func withHostile(
        _ mode: HostileMode, session: GraphSession = EntraFixture.fastSession(maximumRetryAfter: .seconds(1)),
        _ body: (HostileServer, EntraIDIssuer) async throws -> Void
    ) async throws {
        let server = HostileServer(mode: mode, retryAfterValues: ["inf", "-1", "1e308", "99999999999999999"])
        let url = try server.start().absoluteString
        defer { server.stop() }
        let endpoints = try EntraEndpoints(cloud: .global, environment: [EntraEndpoints.loginVariable: url, EntraEndpoints.graphVariable: url])
        let app = App(label: "intune", appID: UUID().uuidString.lowercased(), tenant: EntraFixture.tenant, issuer: .entraID, rotator: "rotator")
        let issuer = EntraIDIssuer(
            app: app, rotatorClientID: UUID().uuidString.lowercased(), rotatorSecret: SecureBytes(copying: Array("rotator-secret-value".utf8)),
            endpoints: endpoints, session: session)
        try await body(server, issuer)
    }

    @Test("a Retry-After no integer holds is cut before any conversion: no trap, the policy's maximum at most")
    func retryAfterIsClampedBeforeConversion() {
        let policy = RetryPolicy(maximumRetryAfter: .seconds(60), jitter: 0)
        for header in ["99999999999999999", "1e308", "1.7976931348623157e308", "0x1p1000", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            // As RetryLoop reads it: parsed, found longer than the maximum, and never converted whole.
            let parsed = RetryAfter.parse(header)
            #expect(parsed?.exceeds(policy.maximumRetryAfter) == true, "\(header)")
            #expect(parsed?.delay(atMost: policy.maximumRetryAfter) == .seconds(60), "\(header)")
        }
        for header in ["inf", "-inf", "nan", "-1", "", "soon", String(repeating: "9", count: 400)] {
            #expect(RetryAfter.parse(header) == nil, "\(header)")
        }
        #expect(RetryAfter.parse("2")?.delay(atMost: policy.maximumRetryAfter) == .seconds(2))
    }

    @Test("429 with Retry-After inf and -1 is retried with backoff; 1e308 (longer than the policy waits) ends the call at once; no crash")
    func retryAfterOverflowFromAServer() async throws {
        try await Self.withHostile(.retryAfterOverflow) { server, issuer in
            let clock = ContinuousClock()
            let started = clock.now
            let failure = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
            #expect(failure?.code == .unavailable, "\(String(describing: failure))")
            let text = failure?.description ?? ""
            #expect(text.contains("HTTP 429"), "\(text)")
            #expect(text.contains("asked to wait more than 1000000000 s, longer than the 1.0 s this program waits; try again later"), "\(text)")
            // inf and -1 are no Retry-After (backoff and retry); the third answer asks too long a wait.
            #expect(server.requests.count == 3)
            #expect(clock.now - started < .seconds(8))
        }
    }

    @Test("a token whose expires_in is 1e308 is used, its lifetime clamped")
    func hugeExpiresInIsClamped() async throws {
        try await Self.withHostile(.hugeExpiresIn) { _, issuer in
            // The token is accepted (not "answered 200 without an access token"): the Graph read after it fails.
            let failure = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
            #expect(failure?.code == .notFound, "\(String(describing: failure))")
        }
        #expect(ServerSeconds.clamp(1e308, to: TokenAnswer.lifetimeRange, fallback: 3599) == 86_400)
        #expect(ServerSeconds.clamp(Double?.none, to: TokenAnswer.lifetimeRange, fallback: 3599) == 3599)
    }

    @Test("a 302 from the token endpoint is a redirect to check, not refused credentials")
    func tokenRedirectIsReportedAsARedirect() async throws {
        try await Self.withHostile(.redirect) { server, issuer in
            let failure = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
            #expect(failure?.code == .misconfigured, "\(String(describing: failure))")
            let text = failure?.description ?? ""
            #expect(text.contains("answered with a redirect (HTTP 302) to https://elsewhere.invalid; redirects are not followed: check the URL"), "\(text)")
            #expect(!text.contains("credentials were refused"))
            #expect(!text.contains(HostileServer.marker))
            #expect(server.requests.count == 1)
        }
    }

    @Test("an answer over 1 MiB (announced, endless, or a gzip bomb) is refused at once, without a retry", arguments: [
        HostileMode.hugeBody, .endlessChunked, .gzipBomb,
    ])
    func oversizedAnswersAreRefused(mode: HostileMode) async throws {
        try await Self.withHostile(mode) { server, issuer in
            let clock = ContinuousClock()
            let started = clock.now
            let failure = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
            #expect(failure?.code == .unexpectedResponse, "\(String(describing: failure))")
            let expected = mode == .gzipBomb ? "answered with a compressed body (Content-Encoding: gzip)" : "answered with more than 1 MiB; refusing it"
            #expect(failure?.description.contains(expected) == true, "\(String(describing: failure))")
            #expect(failure?.description.contains(HostileServer.marker) == false)
            #expect(server.requests.count == 1)
            // The limit ends it, well before the 2 s deadline.
            #expect(clock.now - started < .seconds(2))
        }
        // Nothing goes on inflating the bomb behind the refusal: the next request of this process
        // reaches its server at once (under URLSession it waited 20-30 s).
        let aftermath = try await GzipBomb.waitOutAftermath { url in
            let endpoints = try EntraEndpoints(
                cloud: .global, environment: [EntraEndpoints.loginVariable: url.absoluteString, EntraEndpoints.graphVariable: url.absoluteString])
            let app = App(label: "probe", appID: UUID().uuidString.lowercased(), tenant: EntraFixture.tenant, issuer: .entraID, rotator: "rotator")
            let issuer = EntraIDIssuer(
                app: app, rotatorClientID: UUID().uuidString.lowercased(), rotatorSecret: SecureBytes(copying: Array("rotator-secret-value".utf8)),
                endpoints: endpoints, session: EntraFixture.fastSession(maximumRetryAfter: .seconds(1)))
            _ = await rotationFailure { _ = try await issuer.secrets(markedWith: "x") }
        }
        print("\(mode): other requests of the process could start again after \(aftermath)")
        #expect(aftermath < .seconds(5), "a request after the bomb waited \(aftermath)")
    }
}

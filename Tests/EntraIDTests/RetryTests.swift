import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
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
            #expect(failure?.kind == "unavailable")
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
            #expect(failure?.kind == "unavailable")
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
            #expect(failure?.kind == "unavailable")
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
            #expect(failure?.kind == "unavailable")
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
}

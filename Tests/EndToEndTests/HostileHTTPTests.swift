import Emulators
import Foundation
import ProcessHarness
import Testing

/// `secrets rotate`, the built binary, against a hostile server in every ``HostileMode``: as the
/// Entra ID issuer's token endpoint and Graph, and as a Jamf Pro API client issuer's server.
///
/// Each run must end within its bound (the deadline `SECRETS_HTTP_TIMEOUT` times the attempts
/// the retry policy allows, plus a margin), stay under 100 MiB of peak RSS measured from outside,
/// exit with a documented code rather than a signal, name the app in one clear failure line, and
/// print nothing of the hostile body.
@Suite("Hostile HTTP servers: bounded time and memory, no crash, one clear failure", .serialized)
struct HostileHTTPTests {
    /// `SECRETS_HTTP_TIMEOUT` for these runs, in seconds.
    static let deadline: TimeInterval = 2
    /// Process start-up (a debug build), the vault's work and scheduling noise on a busy machine.
    static let margin: TimeInterval = 15
    /// Peak RSS allowed: the bound.
    static let memoryLimit = 100 << 20

    enum Side: String, CaseIterable, Sendable {
        case entra, jamf
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var mode: HostileMode
        var side: Side
        var testDescription: String { "\(mode.rawValue) at \(side.rawValue)" }

        /// The longest the run may take: how many deadlines and waits the retry policy allows.
        var bound: TimeInterval {
            switch mode {
            case .hugeBody, .endlessChunked, .gzipBomb, .redirect, .hugeExpiresIn, .headerInjectingToken:
                // Refused on the first answer, never retried.
                return HostileHTTPTests.deadline + HostileHTTPTests.margin
            case .slowDrip:
                // Every attempt ends at the deadline: Graph 5 attempts (+ 7.5 s of backoff), Jamf 4 (+ 3.5 s).
                return 5 * HostileHTTPTests.deadline + 7.5 + HostileHTTPTests.margin
            case .retryAfterOverflow:
                // Both give up on the first Retry-After longer than they wait (after backoffs for inf and -1).
                return 10 + HostileHTTPTests.margin
            }
        }

        /// What the failure line must say.
        var expected: [String] {
            switch mode {
            case .hugeBody, .endlessChunked: return ["answered with more than 1 MiB; refusing it"]
            case .gzipBomb: return ["answered with a compressed body (Content-Encoding: gzip) although none was asked for; refusing it"]
            case .redirect: return ["answered with a redirect (HTTP 302) to https://elsewhere.invalid", "redirects are not followed"]
            case .slowDrip: return side == .entra ? ["no response within 2.0 s"] : ["no answer within 2 s"]
            case .retryAfterOverflow:
                return side == .entra ? ["HTTP 429", "asked to wait more than 1000000000 s"] : ["asked to wait more than 1000000000 s"]
            case .hugeExpiresIn:
                // The token was taken (its lifetime clamped): the next call is what failed.
                return side == .entra ? ["has no application with app id"] : ["does not know API integration 7"]
            case .headerInjectingToken:
                return side == .entra ? ["without a well-formed access token"] : ["without a well-formed access_token"]
            }
        }
    }

    /// Every mode at both sides; `HOSTILE_ONLY=gzipBomb,redirect` narrows a run to some modes.
    static let cases: [Case] = HostileMode.allCases.filter { mode in
        ProcessInfo.processInfo.environment["HOSTILE_ONLY"].map { $0.split(separator: ",").contains(Substring(mode.rawValue)) } ?? true
    }.flatMap { mode in Side.allCases.map { Case(mode: mode, side: $0) } }

    @Test("rotate against a hostile server", arguments: cases)
    func rotateAgainstHostileServer(_ testCase: Case) async throws {
        let server = HostileServer(mode: testCase.mode, retryAfterValues: ["inf", "-1", "1e308", "99999999999999999"])
        let base = try server.start().absoluteString
        defer { server.stop() }
        let sandbox = try Sandbox("hostile-\(testCase.mode.rawValue)-\(testCase.side.rawValue)")
        defer { sandbox.remove() }
        sandbox.setEnvironment(["SECRETS_HTTP_TIMEOUT": String(Int(Self.deadline))])
        try sandbox.initVault()
        let label: String
        switch testCase.side {
        case .entra:
            sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": base, "SECRETS_GRAPH_ENDPOINT": base])
            try sandbox.succeed(["app", "add", "rotator", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com"])
            _ = try sandbox.addSecret("rotator", value: Sandbox.secretValue(), expires: "300d")
            try sandbox.succeed([
                "app", "add", "intune", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com",
                "--issuer", "entra-id", "--rotator", "rotator",
            ])
            _ = try sandbox.addSecret("intune", value: Sandbox.secretValue(), expires: "10d")
            label = "intune"
        case .jamf:
            try sandbox.succeed([
                "app", "add", "jamf-api", "--app-id", Sandbox.guid(), "--tenant", "contoso.jamfcloud.com",
                "--issuer", "jamf-pro-api-client", "--jamf-url", base, "--jamf-integration-id", "7",
            ])
            _ = try sandbox.addSecret("jamf-api", value: Sandbox.secretValue(), expires: "10d")
            label = "jamf-api"
        }

        let bound = testCase.bound
        let run = try await Self.measured(sandbox, ["rotate", label], killAbove: 1 << 30, killAfter: bound + 30)
        print("\(testCase.testDescription): \(run.elapsed) s, peak RSS \(run.peakResidentBytes >> 10) KiB, \(server.requests.count) request(s)")

        #expect(!run.killed && !run.signalled, "the process crashed or had to be killed: \(run)")
        #expect(run.status == 1, "a failed app ends `rotate` with exit 1: \(run)")
        #expect(run.elapsed < bound, "took longer than \(bound) s: \(run)")
        #expect(run.peakResidentBytes > 0, "no memory sample was taken: \(run)")
        #expect(run.peakResidentBytes < Self.memoryLimit, "peak RSS over \(Self.memoryLimit >> 20) MiB: \(run)")
        let failure = run.standardError.split(separator: "\n").filter { $0.hasPrefix("secrets: rotation failed for 1 app(s): \(label) (") }
        #expect(failure.count == 1, "one failure line naming \(label): \(run)")
        for phrase in testCase.expected {
            #expect(failure.first?.contains(phrase) == true, "the failure should say \"\(phrase)\": \(run)")
        }
        #expect(!run.standardError.contains("credentials were refused"), "\(run)")
        for text in [run.standardOutput, run.standardError] {
            #expect(!text.contains(HostileServer.marker), "the hostile body reached the output: \(run)")
            #expect(!text.contains("hostile-token-value"))
        }
        #expect(!server.requests.isEmpty, "the hostile server was never asked")
        if testCase.mode == .headerInjectingToken {
            // The token was refused: nothing was ever sent with it.
            #expect(server.requests.allSatisfy { $0.hasSuffix("/token") }, "a request after the malformed token: \(server.requests)")
        }
    }

    /// Runs `secrets` with the sandbox's environment on a thread outside Swift's cooperative pool.
    static func measured(_ sandbox: Sandbox, _ arguments: [String], killAbove: Int, killAfter: TimeInterval) async throws -> MeasuredRun {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try MeasuredRun.run(
                        sandbox.binary, arguments: arguments, environment: sandbox.environment, killAbove: killAbove, killAfter: killAfter)
                })
            }
        }
    }
}

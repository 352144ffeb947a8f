import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// The one retry loop of the Graph and Jamf Pro clients: which answers are retried, how long
/// to wait, and when to give up. Each client words the outcome in its own terms.
///
/// Retried: 429, 500, 502, 503 and 504, timeouts and dropped or refused connections. A
/// `Retry-After` (on 429 or 503) is waited in full; one longer than the rules'
/// ``Rules/maximumRetryAfter`` ends the call at once (retrying sooner than asked goes against
/// both services' throttling guidance). Otherwise the rules' backoff is waited. No attempt
/// starts after ``Rules/maximumAttempts`` or when its wait would end after
/// ``Rules/maximumTotalTime``.
public enum RetryLoop {
    /// The statuses that may pass if asked again.
    public static let retriedStatuses: Set<Int> = [429, 500, 502, 503, 504]

    /// Bounds of one call.
    public struct Rules: Sendable {
        /// Attempts in all, the first included (at least 1).
        public var maximumAttempts: Int
        /// The time from the first attempt after which no new attempt starts.
        public var maximumTotalTime: Duration
        /// The longest `Retry-After` waited.
        public var maximumRetryAfter: Duration
        /// The wait after failed attempt number `n` (from 1) when the server asked for none.
        public var backoff: @Sendable (_ attempt: Int) -> Duration

        /// Creates the rules of a call.
        public init(
            maximumAttempts: Int, maximumTotalTime: Duration, maximumRetryAfter: Duration,
            backoff: @escaping @Sendable (_ attempt: Int) -> Duration
        ) {
            self.maximumAttempts = max(1, maximumAttempts)
            self.maximumTotalTime = maximumTotalTime
            self.maximumRetryAfter = maximumRetryAfter
            self.backoff = backoff
        }
    }

    /// What went wrong with an attempt that was retried (or would have been).
    public enum Problem: Sendable {
        /// A retried status, with the body that came with it.
        case status(Int, body: Data)
        /// A timeout or a dropped or refused connection.
        case transport(TransportFailure)
    }

    /// An answer that is not retried (a success or a definite error).
    public struct Answer: Sendable {
        /// The answer.
        public var response: HTTPResponse
        /// Attempts made, this one included.
        public var attempts: Int
        /// True when an earlier attempt may have reached the service and done the operation
        /// (a 5xx, a timeout or a dropped connection before this answer).
        public var earlierAttemptMayHaveSucceeded: Bool
    }

    /// Why a call ended without an answer.
    public enum GiveUp: Error, Sendable {
        /// A failure no retry can mend: a redirect, an answer over the size limit, a compressed
        /// answer, a refused TLS connection, a cancellation.
        case notRetried(TransportFailure)
        /// The service asked to wait longer than ``Rules/maximumRetryAfter``.
        case waitTooLong(RetryAfter, last: Problem)
        /// The attempts or the time ran out.
        case exhausted(attempts: Int, elapsed: Duration, last: Problem)
        /// The task was cancelled while waiting to retry.
        case cancelledWhileWaiting(last: Problem)
    }

    /// Sends `request` through `transport` by `rules`; each attempt may take `timeout`.
    public static func send(
        _ request: URLRequest, via transport: HTTPTransport, timeout: Duration, rules: Rules, log: Logger,
        metadata: Logger.Metadata = [:]
    ) async throws(GiveUp) -> Answer {
        let clock = ContinuousClock()
        let started = clock.now
        let method = request.httpMethod ?? "GET", path = request.url?.path ?? "?"
        var ambiguous = false
        var attempt = 0
        while true {
            attempt += 1
            let problem: Problem
            var asked: RetryAfter?
            do {
                let response = try await transport.perform(request, timeout: timeout)
                log.debug("\(method) \(path) -> \(response.status)", metadata: metadata.merging(["attempt": "\(attempt)"]) { $1 })
                guard retriedStatuses.contains(response.status) else {
                    return Answer(response: response, attempts: attempt, earlierAttemptMayHaveSucceeded: ambiguous)
                }
                problem = .status(response.status, body: response.body)
                if response.status == 429 || response.status == 503 { asked = RetryAfter.parse(response.header("Retry-After")) }
                if response.status != 429 { ambiguous = true }
            } catch {
                log.debug("\(method) \(path) failed: \(error.summary)", metadata: metadata.merging(["attempt": "\(attempt)"]) { $1 })
                guard error.isTransient else { throw .notRetried(error) }
                problem = .transport(error)
                ambiguous = true
            }
            if let asked, asked.exceeds(rules.maximumRetryAfter) {
                log.debug("not retrying \(method) \(path): Retry-After \(asked) is longer than \(rules.maximumRetryAfter.shortDescription)")
                throw .waitTooLong(asked, last: problem)
            }
            let delay = asked?.delay(atMost: rules.maximumRetryAfter) ?? rules.backoff(attempt)
            let elapsed = clock.now - started
            if attempt >= rules.maximumAttempts || elapsed + delay > rules.maximumTotalTime {
                log.debug("giving up on \(method) \(path) after \(attempt) attempt(s)")
                throw .exhausted(attempts: attempt, elapsed: elapsed, last: problem)
            }
            log.debug("retrying \(method) \(path) in \(delay.shortDescription)", metadata: [
                "attempt": "\(attempt)", "retryAfter": "\(asked.map { "\($0)" } ?? "-")",
            ])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .cancelledWhileWaiting(last: problem)
            }
        }
    }
}

import Foundation
import HTTPClient

/// How ``GraphSession`` retries a request that failed in a way that may pass: throttling (429,
/// honouring `Retry-After`), server errors (500, 502, 503, 504), timeouts and dropped or refused
/// connections.
///
/// Waits grow exponentially from ``initialBackoff`` up to ``maximumBackoff``, each shortened by
/// a random part of up to ``jitter`` so that many clients do not retry in step. A `Retry-After`
/// is waited in full; one longer than ``maximumRetryAfter`` ends the call at once. After ``maximumAttempts`` attempts, or when the
/// next wait would end after ``maximumTotalTime``, the request fails with
/// `RotationFailure.unavailable`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (at least 1).
    public var maximumAttempts: Int
    /// The time from the first attempt after which no new attempt starts.
    public var maximumTotalTime: Duration
    /// The wait after the first failure.
    public var initialBackoff: Duration
    /// The longest wait between attempts without a `Retry-After`.
    public var maximumBackoff: Duration
    /// The longest `Retry-After` waited; ``GraphSession`` gives up at once on a longer one.
    public var maximumRetryAfter: Duration
    /// The largest fraction (0…1) taken off a backoff at random.
    public var jitter: Double

    /// Five attempts within two minutes, waits from 0.5 s doubling up to 10 s, `Retry-After`
    /// honoured up to 60 s, 20 % jitter.
    public static let standard = RetryPolicy()

    /// A single attempt: no retries.
    public static let none = RetryPolicy(maximumAttempts: 1)

    /// Creates a retry policy.
    public init(
        maximumAttempts: Int = 5,
        maximumTotalTime: Duration = .seconds(120),
        initialBackoff: Duration = .milliseconds(500),
        maximumBackoff: Duration = .seconds(10),
        maximumRetryAfter: Duration = .seconds(60),
        jitter: Double = 0.2
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.maximumTotalTime = maximumTotalTime
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRetryAfter = maximumRetryAfter
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait after failed attempt number `attempt` (1 for the first), honouring the server's
    /// `retryAfter` when it gave one (cut to ``maximumRetryAfter``, for a caller that waits anyway).
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter {
            return min(max(retryAfter, .zero), maximumRetryAfter)
        }
        let exponent = min(max(attempt - 1, 0), 30)
        let backoff = min(initialBackoff * (1 << exponent), maximumBackoff)
        let cut = jitter > 0 ? Double.random(in: 0...jitter) : 0
        return backoff * (1 - cut)
    }
}

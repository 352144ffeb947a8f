import Foundation
import HTTPClient
import JamfPro

extension JamfProClient {
    /// Timeouts and retry bounds.
    ///
    /// The bounds of ``HTTPClient/RetryLoop``, the loop Graph's client uses too. A call makes at
    /// most ``maximumAttempts`` requests within ``maximumTotalTime``. Between them it waits what a
    /// 429's or 503's `Retry-After` asks (up to ``maximumRetryAfter``; a longer wait ends the
    /// call at once, since a rotation should not sleep for minutes), or else an exponential backoff from
    /// ``initialBackoff`` doubling up to ``maximumBackoff``, with a little jitter so that several
    /// rotations do not retry in step.
    public struct Configuration: Sendable, Hashable {
        /// Seconds one request may take before it counts as timed out.
        public var requestTimeout: TimeInterval
        /// Requests per call, the first included.
        public var maximumAttempts: Int
        /// The first backoff, in seconds.
        public var initialBackoff: TimeInterval
        /// The longest backoff, in seconds.
        public var maximumBackoff: TimeInterval
        /// The longest `Retry-After` honoured, in seconds; a longer one ends the call at once.
        public var maximumRetryAfter: TimeInterval
        /// Seconds from a call's first request after which no new attempt starts.
        public var maximumTotalTime: TimeInterval
        /// Token requests made to prove a new API-client secret works (see
        /// ``JamfAPIClientIssuer/verify(keyID:value:)``), for Jamf Pro servers that take a moment to
        /// share a regenerated secret.
        public var verificationAttempts: Int
        /// Seconds between those token requests.
        public var verificationDelay: TimeInterval
        /// The largest answer accepted, in bytes (after any decompression); a larger one stops the
        /// transfer and fails the call without a retry.
        public var maximumBodySize: Int

        /// Creates a configuration; the defaults suit a Jamf Cloud server.
        public init(
            requestTimeout: TimeInterval = 30, maximumAttempts: Int = 4, initialBackoff: TimeInterval = 0.5,
            maximumBackoff: TimeInterval = 8, maximumRetryAfter: TimeInterval = 60, maximumTotalTime: TimeInterval = 180,
            verificationAttempts: Int = 5, verificationDelay: TimeInterval = 2,
            maximumBodySize: Int = HTTPTransport.defaultMaximumBodySize
        ) {
            self.requestTimeout = requestTimeout
            self.maximumAttempts = max(1, maximumAttempts)
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.maximumRetryAfter = maximumRetryAfter
            self.maximumTotalTime = maximumTotalTime
            self.verificationAttempts = max(1, verificationAttempts)
            self.verificationDelay = verificationDelay
            self.maximumBodySize = maximumBodySize
        }

        /// The backoff before attempt `attempt + 1` (attempts count from 1).
        func backoff(after attempt: Int) -> TimeInterval {
            let base = min(maximumBackoff, initialBackoff * pow(2, Double(attempt - 1)))
            return base * Double.random(in: 0.8...1.0)
        }
    }
}

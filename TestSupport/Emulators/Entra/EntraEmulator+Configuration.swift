import Foundation

extension EntraEmulator {
    /// How the emulated service behaves.
    public struct Configuration: Sendable {
        /// Added to every token and Graph request before it is answered (the rotation benchmark
        /// uses 20 ms to stand for a round trip to Microsoft).
        public var latency: Duration
        /// How long a new secret fails token requests as if it were wrong (Entra's replication).
        public var replicationDelay: Duration
        /// The longest lifetime (`endDateTime - startDateTime`) an app management policy allows
        /// for a new secret; `nil` for no policy.
        public var maxLifetime: TimeInterval?
        /// The `expires_in` of access tokens, in seconds.
        public var tokenLifetime: Int

        /// Creates a configuration; the defaults answer at once, replicate in 2 s, set no policy
        /// and give tokens Entra's usual 3599 s.
        public init(
            latency: Duration = .zero,
            replicationDelay: Duration = .seconds(2),
            maxLifetime: TimeInterval? = nil,
            tokenLifetime: Int = 3599
        ) {
            self.latency = latency
            self.replicationDelay = replicationDelay
            self.maxLifetime = maxLifetime
            self.tokenLifetime = tokenLifetime
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// How long ``EntraIDIssuer/verify(keyID:value:)`` keeps trying a new secret that Entra ID does
/// not accept yet: a new secret may be refused as invalid for a few seconds while it replicates.
///
/// Attempts start ``initialDelay`` apart and grow by ``multiplier`` up to ``maximumDelay``; a
/// refusal that still comes after ``window`` fails the verification. Refusals that replication
/// cannot explain (an expired secret, a wrong scope) fail at once.
public struct VerificationPolicy: Sendable, Hashable {
    /// How long a refused secret is retried.
    public var window: Duration
    /// The wait after the first refusal.
    public var initialDelay: Duration
    /// The longest wait between attempts.
    public var maximumDelay: Duration
    /// The growth of the wait from one attempt to the next.
    public var multiplier: Double

    /// Retries for 60 s, waiting 0.5 s at first, growing by 1.6 up to 5 s.
    public static let standard = VerificationPolicy()

    /// Creates a verification policy.
    public init(
        window: Duration = .seconds(60), initialDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(5), multiplier: Double = 1.6
    ) {
        self.window = window
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = max(1, multiplier)
    }
}

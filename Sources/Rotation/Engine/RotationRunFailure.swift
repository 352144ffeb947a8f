import ClientSecrets

/// Why one app's run failed or was refused: the step, the typed failure when the issuer, a
/// consumer or the engine raised one, and the line every output shows.
public struct RotationRunFailure: Sendable, Hashable, CustomStringConvertible {
    /// Where it failed.
    public let step: RotationStep
    /// The failure as a type, when it was a ``RotationFailure`` (a vault error, a refusal or
    /// another error has only its ``message``).
    public let reason: RotationFailure?
    /// One line saying what happened; never holds a secret.
    public let message: String

    /// Describes `error` at `step`.
    public init(step: RotationStep, error: any Error) {
        self.step = step
        self.reason = error as? RotationFailure
        self.message = "\(error)"
    }

    /// The message.
    public var description: String { message }
}

import ClientSecrets
import Foundation

/// What a run did for one app.
public struct AppRotationResult: Sendable, Hashable {
    /// How the app's run ended.
    public enum Status: String, Sendable, Hashable {
        /// Everything planned was done.
        case done
        /// There was nothing to do.
        case nothingToDo = "nothing-to-do"
        /// A person has to act (type a secret, confirm a removal); nothing failed.
        case waiting
        /// A step failed; see ``failure``.
        case failed
    }

    /// The app's label.
    public let label: String
    /// How the run ended.
    public var status: Status = .nothingToDo
    /// The key id of the secret that became current, if one did.
    public var newKeyID: String?
    /// When it expires.
    public var newExpiry: Date?
    /// Key ids retired at the issuer.
    public var retired: [String] = []
    /// Journal rows resumed.
    public var resumed: [String] = []
    /// Why the run failed or was refused, if it was.
    public var failure: RotationRunFailure?
    /// The step under way when an error is thrown, so the error is reported where it happened.
    var failingStep: RotationStep?
    /// What consumers reported and what a person should do.
    public var notes: [String] = []

    /// Creates an empty result for `label`.
    public init(label: String) { self.label = label }
}

/// A progress event, for a terminal's progress line.
public struct RotationEvent: Sendable, Hashable {
    /// The app.
    public let label: String
    /// What just happened, in a few words.
    public let message: String
}

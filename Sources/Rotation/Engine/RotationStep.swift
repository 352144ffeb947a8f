import ClientSecrets

/// Where in an app's run something happened: a journaled step (``RotationJournal/Step``) or one
/// of the run's own phases (``prepare``, ``abandon``).
///
/// A struct so that a new phase does not break embedders' exhaustive switches.
public struct RotationStep: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The name shown in output and JSON (`create`, `deploy`, …).
    public let rawValue: String

    /// A step by its name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The journaled step of the same name.
    public init(_ step: RotationJournal.Step) { rawValue = step.rawValue }

    /// The name.
    public var description: String { rawValue }

    /// Building the app's issuer and consumers, before any step.
    public static let prepare = RotationStep(rawValue: "prepare")
    /// Asking the issuer for a new secret.
    public static let create = RotationStep(.create)
    /// Removing a previous secret at the issuer.
    public static let retire = RotationStep(.retire)
    /// Making the previous secret current again.
    public static let rollback = RotationStep(.rollback)
    /// Giving up an unfinished rotation (`rotate --abandon`).
    public static let abandon = RotationStep(rawValue: "abandon")
}

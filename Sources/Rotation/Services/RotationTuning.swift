import ClientSecrets
import Foundation

/// The waits of one `rotate` run (`--jamf-canary-wait`, `--usage-grace`).
public struct RotationTuning: Sendable, Hashable {
    /// Seconds a Jamf Pro Intune consumer's verify waits for the canary's inventory report.
    public var jamfCanaryWait: TimeInterval = 180
    /// Seconds past its overlap a previous secret still in use is kept.
    public var usageGrace: TimeInterval = 7 * 86_400

    /// The default waits: three minutes for a canary, a week for a secret still in use.
    public init() {}
}

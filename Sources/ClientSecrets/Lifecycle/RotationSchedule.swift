import Foundation

/// When an app's rotation is due, by its policy: the current secret expires within
/// rotate-before, or has expired, or there is no current secret.
public enum RotationSchedule {
    /// Whether a rotation is due, and a sentence saying why or why not.
    public static func due(current: Credential?, policy: RotationPolicy, now: Date) -> (isDue: Bool, reason: String) {
        guard let current else { return (true, "there is no current secret") }
        guard let expires = current.expires else { return (false, "the current secret \(current.keyID) never expires") }
        let days = current.daysLeft(at: now) ?? 0
        if expires <= now { return (true, "the current secret \(current.keyID) expired on \(DateParser.format(expires))") }
        let threshold = Int((policy.rotateBefore / 86_400).rounded())
        if expires.timeIntervalSince(now) <= policy.rotateBefore {
            return (true, "the current secret expires in \(days) day(s), within the \(threshold)-day rotate-before window")
        }
        return (false, "the current secret expires in \(days) day(s); rotation is due \(threshold) day(s) before expiry")
    }
}

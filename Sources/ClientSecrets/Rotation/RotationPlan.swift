import Foundation

/// What `secrets rotate` would do for one app, computed from the vault alone (no network).
public struct RotationPlan: Sendable, Hashable {
    /// The app's label.
    public let label: String
    /// The app's client ID.
    public let appID: String
    /// The issuer kind.
    public let issuer: IssuerKind
    /// Unfinished journal rows that the run resumes first.
    public var resume: [RotationJournal]
    /// `previous` secrets whose overlap has passed, retired at the issuer.
    public var retire: [Credential]
    /// Whether a new secret is created.
    public var rotate: Bool
    /// Why the app is (or is not) due.
    public var reason: String
    /// When the new secret would expire.
    public var newExpiry: Date?
    /// The consumers that would receive it.
    public var consumers: [String]
    /// Whether the app rotates although it is not due (`--all`, `--force`).
    public var forced = false
    /// Labels (lowercased) of apps whose secrets this app's rotation uses: rotated first.
    public var dependsOn: [String] = []

    /// True when the run has nothing to do for the app.
    public var isEmpty: Bool { resume.isEmpty && retire.isEmpty && !rotate }

    /// The plan as sentences, one per action, for `--dry-run`.
    public var steps: [String] {
        var lines: [String] = []
        for journal in resume {
            let key = journal.keyID.map { " (key \($0))" } ?? ""
            if journal.step == .confirm {
                lines.append("wait for a person to confirm key\(key) is in place (`secrets rotate \(label) --confirm-deployed`); the previous secret is kept until then")
            } else {
                lines.append("resume the \(journal.kind.rawValue) \(journal.rotationID) at its \(journal.step.rawValue) step\(key)")
            }
        }
        for credential in retire {
            lines.append("retire previous key \(credential.keyID) at the issuer (overlap ended \(credential.retireAfter.map(DateParser.format) ?? "now"))")
        }
        if rotate {
            let expiry = newExpiry.map { ", expiring \(DateParser.format($0))" } ?? ""
            lines.append("create a new secret at \(issuer.rawValue)\(expiry)")
            lines.append(consumers.isEmpty ? "deploy: no consumers configured" : "deploy to " + consumers.joined(separator: "; "))
            lines.append("verify the new secret at the issuer and at each consumer")
            lines.append("promote it to current; the current secret becomes previous")
        }
        return lines
    }
}

/// Which apps a run covers.
public enum RotationSelection: Sendable, Hashable {
    /// These apps (labels or app IDs): resumed and retired as needed, rotated when due, or
    /// whether due or not with `force`.
    case apps([String], force: Bool = false)
    /// Every app: resumed and retired as needed, rotated when due.
    case due
    /// Every app, rotated whether due or not.
    case all
}

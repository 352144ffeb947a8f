import ClientSecrets
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
    /// The app's row in the vault: the run reads the app by it, so an app renamed after the plan
    /// was made (or another that took its label) is never the one rotated by mistake.
    public var appRecordID: RecordID?
    /// Labels (lowercased) of apps whose secrets this app's rotation uses: rotated first.
    public var dependsOn: [String] = []
    /// The consumers (as in ``consumers``) that a person has to give the new secret: a
    /// `jamf-pro-intune` consumer without an apply command. A rotation stops for them.
    public var personConsumers: [String] = []
    /// What a rotation makes: a secret, or a certificate for an app that signs in with one of its own.
    public var credentialKind: CredentialKind = .secret
    /// What decides, besides the overlap, whether ``retire`` happens: said on each retire line,
    /// since a run may keep a key the dry run lists (see ``CredentialUsageReport``).
    public var retireCheck: RetireCheck = .overlap

    /// What clears a previous secret for retirement once its overlap has passed.
    public enum RetireCheck: Sendable, Hashable {
        /// Nothing more: the overlap window alone.
        case overlap
        /// The issuer's sign-in report is asked first (Entra ID in the Global cloud): a key that
        /// still signs in is kept, at most `grace` past its overlap (`nil`: the run's
        /// `--usage-grace`, not known to the plan). A dry run does not ask the report.
        case signIns(grace: TimeInterval?)
        /// The app's issuer has a sign-in report, but not for this app; `reason` says why, and
        /// the overlap alone decides.
        case noReport(reason: String)
    }

    /// True when the run has nothing to do for the app.
    public var isEmpty: Bool { resume.isEmpty && retire.isEmpty && !rotate }

    /// The plan as sentences, one per action, for `--dry-run`.
    public var steps: [String] {
        var lines: [String] = []
        for journal in resume {
            let key = journal.keyID.map { " (key \($0))" } ?? ""
            if journal.step == .confirm {
                let what = journal.kind == .rollback ? "the rolled-back key\(key)" : "key\(key)"
                lines.append("wait for a person to confirm \(what) is in place (`secrets rotate \(label) --confirm-deployed`); the previous secret is kept until then")
            } else {
                lines.append("resume the \(journal.kind.rawValue) \(journal.rotationID) at its \(journal.step.rawValue) step\(key)")
            }
        }
        for credential in retire {
            let ended = "overlap ended \(credential.retireAfter.map(DateParser.format) ?? "now")"
            let check: String
            switch retireCheck {
            case .overlap:
                check = ""
            case .signIns(let grace):
                let most = grace.map { "\(DurationParser.format($0)) (--usage-grace)" } ?? "--usage-grace"
                check = "; after a sign-in check: postponed while the key still signs in, at most \(most) past its overlap"
            case .noReport(let reason):
                check = "; no sign-in check (\(reason)): the overlap alone decides"
            }
            lines.append("retire previous key \(credential.keyID) at the issuer (\(ended)\(check))")
        }
        if rotate {
            let expiry = newExpiry.map { ", expiring \(DateParser.format($0))" } ?? ""
            if credentialKind == .certificate {
                lines.append("create a new key pair and certificate and add it at \(issuer.rawValue) (addKey, proven by the current certificate)\(expiry)")
            } else {
                lines.append("create a new secret at \(issuer.rawValue)\(expiry)")
            }
            let automatic = consumers.filter { !personConsumers.contains($0) }
            if consumers.isEmpty { lines.append("deploy: no consumers configured") }
            if !automatic.isEmpty { lines.append("deploy to " + automatic.joined(separator: "; ")) }
            for consumer in personConsumers {
                lines.append("NEEDS A PERSON: \(consumer) has no apply command; a person enters the new secret there")
            }
            lines.append("verify the new secret at the issuer and at each consumer")
            lines.append("promote it to current; the current secret becomes previous")
            if !personConsumers.isEmpty {
                lines.append("then WAIT for a person (exit 75): they put it in place and run `secrets rotate \(label) --confirm-deployed`; the previous secret is kept until then")
            }
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

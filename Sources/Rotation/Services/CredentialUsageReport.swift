import ClientSecrets
import Foundation

/// An issuer that can say when each of an app's secrets was last used to sign in: Entra ID's
/// credential sign-in report (`GET /beta/reports/appCredentialSignInActivities`).
///
/// The rotation engine asks it once per app, just before it removes previous secrets whose
/// overlap has passed (see ``RotationEngine``): a previous secret something signed in with after
/// the new one became current is still in use somewhere, and removing it would break that
/// consumer. Issuers that cannot tell (a person at a portal, a Jamf Pro API client, whose old
/// secret dies at once anyway) simply do not conform, and retirement keeps to the overlap window.
public protocol CredentialUsageReport: Sendable {
    /// How much longer than its overlap a previous secret that is still in use may be kept
    /// (``RotationEngine`` retires it after that with a warning, so a forgotten consumer cannot
    /// keep an old secret alive for ever). Zero retires on time, with the warning.
    var usageGrace: TimeInterval { get }

    /// When each of the app's secrets last signed in, as far as the report knows, or why there
    /// is no report. Never throws: an unavailable report only means the overlap window decides.
    func credentialUsage() async -> CredentialUsage
}

/// What an issuer knows of the use of an app's secrets.
public enum CredentialUsage: Sendable, Hashable {
    /// The last sign-in of each secret the report lists, by lowercased key id. A secret that is
    /// not listed has no sign-in on record.
    case report([String: CredentialSignIn])
    /// No report: `reason` says why (another cloud, a missing permission, an error).
    /// `firstInRun` is true for the first such answer of a run (issuers of one run share a
    /// session), so that the fallback is said once, not once per app.
    case unavailable(reason: String, firstInRun: Bool)
}

/// The last recorded sign-in with one secret.
public struct CredentialSignIn: Sendable, Hashable {
    /// When.
    public var at: Date
    /// The resource it signed in to (an app id or URI), if the report named one.
    public var resource: String?

    /// Creates a sign-in record.
    public init(at: Date, resource: String?) {
        self.at = at
        self.resource = resource
    }
}

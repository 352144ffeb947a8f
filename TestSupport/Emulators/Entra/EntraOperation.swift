/// The operations of the Entra ID emulator that faults can be injected into and that requests are
/// recorded under.
public enum EntraOperation: String, Sendable, Hashable, Codable, CaseIterable {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    case token
    /// `GET /v1.0/applications(appId='…')`, `GET /v1.0/applications?$filter=…`, `GET /v1.0/applications/{id}`.
    case getApplication
    /// `GET /v1.0/applications` (every page of the listing), `GET /v1.0/applications/delta` and
    /// `GET /v1.0/servicePrincipals/delta` (every page of a delta round): what a tenant sync reads.
    case listApplications
    /// `POST /v1.0/applications/{id}/addPassword`.
    case addPassword
    /// `POST /v1.0/applications/{id}/removePassword`.
    case removePassword
    /// `POST /v1.0/applications/{id}/addKey`.
    case addKey
    /// `POST /v1.0/applications/{id}/removeKey`.
    case removeKey
    /// `GET /beta/reports/appCredentialSignInActivities`.
    case credentialSignInActivities
    /// Matches every operation above (for faults only; requests are never recorded as `any`).
    case any

    /// Whether a fault registered for `self` applies to a request of `operation`.
    func matches(_ operation: EntraOperation) -> Bool {
        self == .any || self == operation
    }
}

/// Which directory object holds a credential in Entra ID.
///
/// An app registration (Graph's `application`) holds the client secrets and certificates its
/// app signs in with: those are the ones rotation manages. Its service principal in a tenant
/// (an "enterprise app") may hold its own: a SAML token-signing certificate, or a secret a
/// gallery app was given. `secrets sync --service-principals` tracks those for expiry only.
public enum CredentialHolder: String, Sendable, Hashable, Codable, CaseIterable {
    /// The app registration (Graph's `application`).
    case application
    /// A service principal (an enterprise app) of the app in the tenant.
    case servicePrincipal
}

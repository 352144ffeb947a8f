import ClientSecrets

/// Builds the issuer and the consumers of an app for a rotation: the piece that knows which
/// services exist (Entra ID, Jamf Pro, commands) and where their credentials are in the vault.
///
/// The command line supplies one that knows every built-in issuer and consumer; a tool that
/// embeds the library can supply its own.
public protocol RotationEnvironment: Sendable {
    /// The issuer of `app`'s secrets, with whatever it authenticates with already resolved (for
    /// Entra ID, the rotator app's current secret from `vault`).
    func issuer(for app: AppRecord, in vault: Vault) throws -> any Issuer

    /// Everything that uses `app`'s secret, in the order they are deployed to.
    func consumers(for app: AppRecord, in vault: Vault) throws -> [any SecretConsumer]

    /// A reader of the tenant of `scanner` (an app allowed to read the tenant's applications,
    /// `Application.Read.All`), signing in with its current secret from `vault`.
    ///
    /// - Throws: ``RotationFailure/misconfigured(_:)`` when the vault holds no secret for it.
    func tenantReader(scanner: AppRecord, in vault: Vault) throws -> any TenantReader

    /// Proves that `app` signs in at its issuer with `credential` (a certificate a person just
    /// uploaded, key `keyID` in the vault), retrying for up to `wait` while the issuer replicates
    /// it; then, for a certificate, looks up the key ID the issuer gave it, when the app may read
    /// itself.
    ///
    /// - Throws: ``RotationFailure/verificationFailed(_:)`` when the issuer still refuses it.
    func verifySignIn(of app: AppRecord, with credential: SignInCredential, keyID: String, wait: Duration) async throws -> SignInProof
}

/// What a proven sign-in found.
public struct SignInProof: Sendable, Hashable {
    /// A line for the output, such as `token issued by … after 1.2 s`.
    public var summary: String
    /// The issuer's key ID for the certificate, when the app could read its own credentials.
    public var issuerKeyID: String?

    /// Creates a proof.
    public init(summary: String, issuerKeyID: String?) {
        self.summary = summary
        self.issuerKeyID = issuerKeyID
    }
}

extension RotationEnvironment {
    /// An environment that knows no sign-in check refuses.
    public func verifySignIn(of app: AppRecord, with credential: SignInCredential, keyID: String, wait: Duration) async throws -> SignInProof {
        throw RotationFailure.misconfigured("this program cannot check a sign-in of \(app.app.label)")
    }
}

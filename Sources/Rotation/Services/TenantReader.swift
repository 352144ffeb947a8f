import ClientSecrets

/// Reads which applications a tenant has and their credentials' metadata, a round of changes
/// at a time (Microsoft Graph's delta query): what `secrets sync` applies to the vault.
public protocol TenantReader: Sendable {
    /// One round of the objects that hold `holder`'s credentials (app registrations or service
    /// principals): what changed since `deltaLink` (kept from the last round of the same), or
    /// every one when it is `nil` or the service no longer accepts it.
    ///
    /// - Throws: ``RotationFailure`` saying what the service refused.
    func changes(of holder: CredentialHolder, since deltaLink: String?) async throws -> TenantChanges

    /// Every application's owners, read in full.
    ///
    /// - Throws: ``RotationFailure`` saying what the service refused.
    func owners() async throws -> TenantOwners
}

extension TenantReader {
    /// One round of the tenant's app registrations (``changes(of:since:)``).
    public func changes(since deltaLink: String?) async throws -> TenantChanges {
        try await changes(of: .application, since: deltaLink)
    }
}

extension RotationEnvironment {
    /// An environment that does not know how to read a tenant says so.
    public func tenantReader(scanner: AppRecord, in vault: Vault) throws -> any TenantReader {
        throw RotationFailure.misconfigured("this environment cannot read a tenant's applications; use the standard providers")
    }
}

/// Where a credential is in its life: `pending` → `current` → `previous` → `retired`.
public enum CredentialState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Created at the issuer, not yet handed to consumers.
    case pending
    /// What consumers use. An app has at most one.
    case current
    /// Still valid at the issuer during the overlap after a rotation.
    case previous
    /// Removed at the issuer; the value is wiped, the metadata kept for history.
    case retired
}

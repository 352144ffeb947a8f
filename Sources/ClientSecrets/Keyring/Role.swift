/// What a keyring recipient may do, enforced by which data keys its entry holds.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Holds the metadata key and the secret key: may read and change everything.
    case admin
    /// Holds the metadata key only: may list apps and check expiry, never read a secret value.
    case reader
}

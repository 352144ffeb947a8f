import Foundation

/// The metadata of one client secret of an app. The value itself is never part of this type,
/// so printing or encoding a credential cannot leak it.
public struct Credential: Sendable, Hashable, Codable {
    /// The issuer's identifier for the secret (Entra ID's `keyId`), a lowercased GUID.
    public var keyID: String
    /// The first three characters of the value, as Entra ID shows them.
    public var hint: String
    /// When it was recorded.
    public var created: Date
    /// When it starts to work.
    public var validFrom: Date
    /// When it stops working; `nil` when the issuer set no end.
    public var expires: Date?
    /// Where it is in its life.
    public var state: CredentialState
    /// The issuer's display name for it, if any.
    public var displayName: String?
    /// When a `previous` credential is due to be retired.
    public var retireAfter: Date?

    /// Creates credential metadata.
    public init(
        keyID: String, hint: String, created: Date, validFrom: Date, expires: Date?, state: CredentialState,
        displayName: String? = nil, retireAfter: Date? = nil
    ) {
        self.keyID = keyID.lowercased()
        self.hint = hint
        self.created = created
        self.validFrom = validFrom
        self.expires = expires
        self.state = state
        self.displayName = displayName
        self.retireAfter = retireAfter
    }

    /// Whole days from `now` until expiry (negative once expired), or `nil` without an expiry.
    public func daysLeft(at now: Date) -> Int? {
        guard let expires else { return nil }
        return Int((expires.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}

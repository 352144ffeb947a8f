import Foundation

/// What sort of credential an app holds.
public enum CredentialKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A client secret (Graph's `passwordCredential`).
    case secret
    /// A certificate (Graph's `keyCredential`): the vault tracks its metadata and thumbprint.
    case certificate
}

/// The metadata of one credential of an app: a client secret or a certificate. The value
/// itself is never part of this type, so printing or encoding a credential cannot leak it.
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
    /// A secret or a certificate.
    public var kind: CredentialKind
    /// A certificate's SHA-1 thumbprint (40 uppercase hex digits, as Entra ID shows it); `nil` for a secret.
    public var thumbprint: String?
    /// Whether the app registration holds it (every credential rotation manages) or the app's
    /// service principal (found by `secrets sync --service-principals`, monitored only).
    public var holder: CredentialHolder
    /// A certificate the vault made or imported: its SHA-256 thumbprint, subject and DER;
    /// `nil` for a secret and for a certificate only found in the tenant.
    public var certificate: CertificateDetails?

    /// Creates credential metadata.
    public init(
        keyID: String, hint: String, created: Date, validFrom: Date, expires: Date?, state: CredentialState,
        displayName: String? = nil, retireAfter: Date? = nil, kind: CredentialKind = .secret, thumbprint: String? = nil,
        holder: CredentialHolder = .application, certificate: CertificateDetails? = nil
    ) {
        self.keyID = keyID.lowercased()
        self.hint = hint
        self.created = created
        self.validFrom = validFrom
        self.expires = expires
        self.state = state
        self.displayName = displayName
        self.retireAfter = retireAfter
        self.kind = kind
        self.thumbprint = thumbprint
        self.holder = holder
        self.certificate = certificate
    }

    /// Whole days from `now` until expiry (negative once expired), or `nil` without an expiry.
    public func daysLeft(at now: Date) -> Int? {
        guard let expires else { return nil }
        return Int((expires.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}

extension Credential {
    private enum CodingKeys: String, CodingKey {
        case keyID, hint, created, validFrom, expires, state, displayName, retireAfter, kind, thumbprint, holder, certificate
    }

    /// Decodes what ``encode(to:)`` writes; a credential without `kind` is a secret, as every
    /// credential was before certificates were tracked.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            keyID: try container.decode(String.self, forKey: .keyID), hint: try container.decode(String.self, forKey: .hint),
            created: try container.decode(Date.self, forKey: .created), validFrom: try container.decode(Date.self, forKey: .validFrom),
            expires: try container.decodeIfPresent(Date.self, forKey: .expires), state: try container.decode(CredentialState.self, forKey: .state),
            displayName: try container.decodeIfPresent(String.self, forKey: .displayName),
            retireAfter: try container.decodeIfPresent(Date.self, forKey: .retireAfter),
            kind: try container.decodeIfPresent(CredentialKind.self, forKey: .kind) ?? .secret,
            thumbprint: try container.decodeIfPresent(String.self, forKey: .thumbprint),
            holder: try container.decodeIfPresent(CredentialHolder.self, forKey: .holder) ?? .application,
            certificate: try container.decodeIfPresent(CertificateDetails.self, forKey: .certificate))
    }

    /// Encodes the credential; `kind` and `thumbprint` only for a certificate and `holder` only
    /// for a service principal's, so an app registration's secret has the shape it always had.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(hint, forKey: .hint)
        try container.encode(created, forKey: .created)
        try container.encode(validFrom, forKey: .validFrom)
        try container.encodeIfPresent(expires, forKey: .expires)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(displayName, forKey: .displayName)
        try container.encodeIfPresent(retireAfter, forKey: .retireAfter)
        if kind != .secret { try container.encode(kind, forKey: .kind) }
        try container.encodeIfPresent(thumbprint, forKey: .thumbprint)
        if holder != .application { try container.encode(holder, forKey: .holder) }
        try container.encodeIfPresent(certificate, forKey: .certificate)
    }
}

/// How far the vault looks after a credential, as `expiring` and `list` say it.
public enum CredentialCustody: String, Sendable, Hashable, Codable, CaseIterable {
    /// Rotation manages the app's credentials (an issuer other than `manual`, not monitored only).
    case managed
    /// The vault holds the value, and a person rotates it.
    case held
    /// The vault only knows that it exists and when it expires (found by `secrets sync` or an import).
    case monitored

    /// The custody of a credential of `app`; `holdsValue` when the vault holds its value.
    public static func of(_ app: App, holdsValue: Bool) -> CredentialCustody {
        if !app.monitored, app.issuer != .manual { return .managed }
        return holdsValue ? .held : .monitored
    }
}

/// How far the vault looks after a credential, as `expiring` and `list` say it.
public enum CredentialCustody: String, Sendable, Hashable, Codable, CaseIterable {
    /// Rotation manages the app's credentials (an issuer other than `manual`, not monitored only).
    case managed
    /// The vault holds the value, and a person rotates it.
    case held
    /// The vault only knows that it exists and when it expires: its app was found by `secrets
    /// sync` or an import and is only monitored, or a person registered it without its value.
    case monitored

    /// The custody of a credential of `app` held by `holder`; `holdsValue` when the vault holds
    /// its value, asked only for an app a person rotates (``needsValueToTell(_:holder:)``). A
    /// service principal's credential is only ever monitored: rotation manages the app registration's.
    public static func of(_ app: App, holder: CredentialHolder = .application, holdsValue: Bool) -> CredentialCustody {
        if app.monitored || holder != .application { return .monitored }
        if app.issuer != .manual { return .managed }
        return holdsValue ? .held : .monitored
    }

    /// Whether the custody of `app`'s credentials depends on whether the vault holds each value:
    /// only for an app a person rotates. Monitoring reads values' presence for those alone, so
    /// that it stays on the expiry index for everything else.
    public static func needsValueToTell(_ app: App, holder: CredentialHolder = .application) -> Bool {
        holder == .application && !app.monitored && app.issuer == .manual
    }
}

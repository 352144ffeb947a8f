/// Who creates and removes an app's secrets.
///
/// Adding an issuer: a case here with its ``settings`` and ``usesRotator``, the module that
/// implements `Issuer` (module `Rotation`) for it, and one line in the `Providers` module's issuer list.
/// Storage, export, listings, the command line and the trust rules follow from ``settings``.
public enum IssuerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Microsoft Entra ID, through Microsoft Graph.
    case entraID = "entra-id"
    /// A Jamf Pro API client, whose secret Jamf Pro regenerates.
    case jamfProAPIClient = "jamf-pro-api-client"
    /// A person creates the secret (for example in the Azure portal) and pastes it in.
    case manual

    /// The settings the issuer reads from an app, each required.
    public var settings: [IssuerSetting] {
        switch self {
        case .entraID, .manual:
            return []
        case .jamfProAPIClient:
            return [
                IssuerSetting(key: "url", flag: "jamf-url", summary: "the Jamf Pro URL", format: .serviceURL),
                IssuerSetting(
                    key: "integration-id", flag: "jamf-integration-id", summary: "the API integration's id (not its client ID)",
                    format: .number(maximumDigits: 18)),
            ]
        }
    }

    /// Whether the issuer authenticates with another app's secret (``App/rotator``): required
    /// for Entra ID, optional for a Jamf Pro API client (which can regenerate its own).
    public var usesRotator: Bool { self != .manual }

    /// The setting named `key`, whichever issuer declares it; settings of another issuer than an
    /// app's are kept (an app whose issuer changed) but not used.
    public static func setting(_ key: String) -> (IssuerKind, IssuerSetting)? {
        for kind in allCases {
            if let setting = kind.settings.first(where: { $0.key == key }) { return (kind, setting) }
        }
        return nil
    }
}

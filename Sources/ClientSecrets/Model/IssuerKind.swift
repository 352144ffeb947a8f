/// Who creates and removes an app's secrets.
public enum IssuerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Microsoft Entra ID, through Microsoft Graph.
    case entraID = "entra-id"
    /// A Jamf Pro API client, whose secret Jamf Pro regenerates.
    case jamfProAPIClient = "jamf-pro-api-client"
    /// A person creates the secret (for example in the Azure portal) and pastes it in.
    case manual
}

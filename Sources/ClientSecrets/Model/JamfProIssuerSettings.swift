/// Where a Jamf Pro API client lives, so its credentials can be regenerated through the Jamf Pro API.
public struct JamfProIssuerSettings: Sendable, Hashable, Codable {
    /// The Jamf Pro server, such as `https://example.jamfcloud.com`.
    public var url: String
    /// The API integration's id (`/api/v1/api-integrations/{id}`), not its client ID.
    public var integrationID: String

    /// The key of ``url`` in ``App/issuerSettings``.
    public static let urlKey = "url"
    /// The key of ``integrationID`` in ``App/issuerSettings``.
    public static let integrationIDKey = "integration-id"

    /// Creates the settings; call ``validate()`` before storing them.
    public init(url: String, integrationID: String) {
        self.url = url
        self.integrationID = integrationID
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` for a URL that is not https (or http on
    /// loopback) or an id that is not a number.
    public func validate() throws {
        for setting in IssuerKind.jamfProAPIClient.settings {
            try setting.validate(setting.key == Self.urlKey ? url : integrationID)
        }
    }
}

/// A client registration (an Entra ID app, a Jamf Pro API client, …) and how its secrets are managed.
///
/// Every field is identifying, so the vault stores all of them encrypted.
public struct App: Sendable, Hashable, Codable {
    /// The unique name people type; compared case-insensitively.
    public var label: String
    /// The client ID (a GUID, stored lowercased).
    public var appID: String
    /// The tenant: a domain such as `contoso.onmicrosoft.com`, or the tenant GUID.
    public var tenant: String
    /// The cloud the registration lives in.
    public var cloud: Cloud
    /// Who creates and removes the app's secrets.
    public var issuer: IssuerKind
    /// The label of another app in the vault whose secret authenticates to the issuer's API:
    /// for Entra ID the *rotator* (a Graph app with `Application.ReadWrite.OwnedBy`, so that this
    /// app keeps only the permissions its consumers need); for a Jamf Pro API client, a client
    /// allowed to update API integrations (`nil`: the client regenerates its own credentials).
    public var rotator: String?
    /// The issuer's settings by key (see ``IssuerKind/settings``), such as a Jamf Pro API
    /// client's `url` and `integration-id`.
    public var issuerSettings: [String: String]
    /// What uses the app's secret.
    public var consumers: [Consumer]
    /// When to rotate and how long to overlap.
    public var policy: RotationPolicy
    /// Free-form tags.
    public var tags: [String]
    /// Free-form notes.
    public var notes: String
    /// Added after the rotation marker in the display name of every secret a rotation creates
    /// (`secrets:<rotation id> <description>`), so a person reading the portal knows what the
    /// secret is for; `nil` for the bare marker. See ``RotationJournal/displayName(rotationID:description:)``.
    public var secretDescription: String?

    /// Creates an app, normalising the app ID and tenant; call ``validate()`` before storing it.
    public init(
        label: String, appID: String, tenant: String, cloud: Cloud = .global, issuer: IssuerKind = .manual,
        rotator: String? = nil, jamfProIssuer: JamfProIssuerSettings? = nil, issuerSettings: [String: String] = [:], consumers: [Consumer] = [],
        policy: RotationPolicy = .default, tags: [String] = [], notes: String = "", secretDescription: String? = nil
    ) {
        self.label = label
        self.appID = appID.lowercased()
        self.tenant = tenant.lowercased()
        self.cloud = cloud
        self.issuer = issuer
        self.rotator = rotator
        self.issuerSettings = issuerSettings
        self.consumers = consumers
        self.policy = policy
        self.tags = tags
        self.notes = notes
        self.secretDescription = secretDescription
        if let jamfProIssuer { self.jamfProIssuer = jamfProIssuer }
    }

    /// A Jamf Pro API client's settings (`url` and `integration-id` of ``issuerSettings``), as
    /// the export document and `--json` listings have always shown them.
    public var jamfProIssuer: JamfProIssuerSettings? {
        get {
            guard let url = issuerSettings[JamfProIssuerSettings.urlKey], let id = issuerSettings[JamfProIssuerSettings.integrationIDKey] else {
                return nil
            }
            return JamfProIssuerSettings(url: url, integrationID: id)
        }
        set {
            issuerSettings[JamfProIssuerSettings.urlKey] = newValue?.url
            issuerSettings[JamfProIssuerSettings.integrationIDKey] = newValue?.integrationID
        }
    }

    /// The settings other than a Jamf Pro API client's, which documents show under their own key.
    public var otherIssuerSettings: [String: String] {
        issuerSettings.filter { $0.key != JamfProIssuerSettings.urlKey && $0.key != JamfProIssuerSettings.integrationIDKey }
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` naming the first field that is not acceptable.
    public func validate() throws {
        try Validation.label(label)
        try Validation.guid(appID, field: "app-id")
        try Validation.tenant(tenant)
        try policy.validate()
        if let rotator {
            try Validation.label(rotator)
            guard rotator.lowercased() != label.lowercased() else {
                throw VaultError.invalidValue(field: "rotator", reason: "an app cannot be its own rotator; name the privileged Graph app")
            }
        }
        for (key, value) in issuerSettings {
            guard let (_, setting) = IssuerKind.setting(key) else {
                throw VaultError.invalidValue(field: "issuer-setting", reason: "\"\(key.prefix(32))\" is not a setting of any issuer")
            }
            try setting.validate(value)
        }
        let own = issuer.settings
        for setting in own where issuerSettings[setting.key] == nil && own.contains(where: { issuerSettings[$0.key] != nil }) {
            throw VaultError.invalidValue(field: setting.flag, reason: "the \(issuer.rawValue) issuer needs its \(setting.summary) as well")
        }
        for consumer in consumers { try consumer.validate() }
        for tag in tags { try Validation.printable(tag, field: "tag", maximumCount: 64) }
        try Validation.printable(notes, field: "notes", maximumCount: 4096, allowNewlines: true)
        if let secretDescription { try Validation.secretDescription(secretDescription) }
    }
}

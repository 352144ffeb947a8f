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
    /// Whether the vault only monitors the app: `secrets sync` found it in the tenant and keeps
    /// its credentials' metadata in line, and rotation leaves it alone. An admin takes it over
    /// with `secrets app edit --manage`, after which sync no longer changes it.
    public var monitored: Bool
    /// The application's object id in the tenant (not its app ID), as `secrets sync` found it:
    /// Graph's delta query names removed applications by it.
    public var objectID: String?
    /// Who owns the app registration in the tenant, as the last `secrets sync --owners` read
    /// it; `nil` when no sync has read them.
    public var owners: [AppOwner]?

    /// Creates an app, normalising the app ID and tenant; call ``validate()`` before storing it.
    public init(
        label: String, appID: String, tenant: String, cloud: Cloud = .global, issuer: IssuerKind = .manual,
        rotator: String? = nil, jamfProIssuer: JamfProIssuerSettings? = nil, issuerSettings: [String: String] = [:], consumers: [Consumer] = [],
        policy: RotationPolicy = .default, tags: [String] = [], notes: String = "", secretDescription: String? = nil,
        monitored: Bool = false, objectID: String? = nil, owners: [AppOwner]? = nil
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
        self.monitored = monitored
        self.objectID = objectID?.lowercased()
        self.owners = owners
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

    /// The settings that ``jamfProIssuer`` does not show, which documents and the record keep
    /// under their own key: every setting of another issuer, and a lone half of Jamf Pro's.
    public var otherIssuerSettings: [String: String] {
        guard jamfProIssuer != nil else { return issuerSettings }
        return issuerSettings.filter { $0.key != JamfProIssuerSettings.urlKey && $0.key != JamfProIssuerSettings.integrationIDKey }
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
        // Sorted, so the same app always fails on the same setting.
        for (key, value) in issuerSettings.sorted(by: { $0.key < $1.key }) {
            guard let (_, setting) = IssuerKind.setting(key) else {
                throw VaultError.invalidValue(field: "issuer-setting", reason: "\"\(key.prefix(32))\" is not a setting of any issuer")
            }
            try setting.validate(value)
        }
        // Every issuer whose settings are here has all of them: half of an issuer's settings
        // could be neither used nor shown as what they are.
        for kind in IssuerKind.allCases where kind.settings.contains(where: { issuerSettings[$0.key] != nil }) {
            for setting in kind.settings where issuerSettings[setting.key] == nil {
                throw VaultError.invalidValue(field: setting.flag, reason: "the \(kind.rawValue) issuer needs \(setting.summary) as well")
            }
        }
        for consumer in consumers { try consumer.validate() }
        for tag in tags { try Validation.printable(tag, field: "tag", maximumCount: 64) }
        try Validation.printable(notes, field: "notes", maximumCount: 4096, allowNewlines: true)
        if let secretDescription { try Validation.secretDescription(secretDescription) }
        if let objectID { try Validation.guid(objectID, field: "object-id") }
        if let owners {
            guard owners.count <= AppOwner.maximumCount, Set(owners.map(\.objectID)).count == owners.count else {
                throw VaultError.invalidValue(field: "owner", reason: "an app has at most \(AppOwner.maximumCount) owners, each listed once")
            }
            for owner in owners {
                try Validation.guid(owner.objectID, field: "owner")
                if let name = owner.name {
                    guard name.utf8.count <= 1_024 else { throw VaultError.invalidValue(field: "owner", reason: "an owner's name is at most 1024 bytes") }
                    try Validation.printable(name, field: "owner", maximumCount: 256)
                }
            }
        }
    }
}

extension App {
    private enum CodingKeys: String, CodingKey {
        case label, appID, tenant, cloud, issuer, rotator, jamfProIssuer, issuerSettings, consumers, policy, tags, notes, secretDescription
        case monitored, objectID, owners
    }

    /// Decodes the shape ``encode(to:)`` writes; `jamfProIssuer` and `issuerSettings` are both
    /// read, so documents from before issuer settings existed decode unchanged.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            label: try container.decode(String.self, forKey: .label), appID: try container.decode(String.self, forKey: .appID),
            tenant: try container.decode(String.self, forKey: .tenant), cloud: try container.decode(Cloud.self, forKey: .cloud),
            issuer: try container.decode(IssuerKind.self, forKey: .issuer), rotator: try container.decodeIfPresent(String.self, forKey: .rotator),
            jamfProIssuer: try container.decodeIfPresent(JamfProIssuerSettings.self, forKey: .jamfProIssuer),
            issuerSettings: try container.decodeIfPresent([String: String].self, forKey: .issuerSettings) ?? [:],
            consumers: try container.decode([Consumer].self, forKey: .consumers), policy: try container.decode(RotationPolicy.self, forKey: .policy),
            tags: try container.decode([String].self, forKey: .tags), notes: try container.decode(String.self, forKey: .notes),
            secretDescription: try container.decodeIfPresent(String.self, forKey: .secretDescription),
            monitored: try container.decodeIfPresent(Bool.self, forKey: .monitored) ?? false,
            objectID: try container.decodeIfPresent(String.self, forKey: .objectID),
            owners: try container.decodeIfPresent([AppOwner].self, forKey: .owners))
    }

    /// Encodes the app with a Jamf Pro API client's settings as `jamfProIssuer`, as before issuer
    /// settings existed, and any other settings as `issuerSettings` (absent when there are none).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(label, forKey: .label)
        try container.encode(appID, forKey: .appID)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(cloud, forKey: .cloud)
        try container.encode(issuer, forKey: .issuer)
        try container.encodeIfPresent(rotator, forKey: .rotator)
        try container.encodeIfPresent(jamfProIssuer, forKey: .jamfProIssuer)
        let others = otherIssuerSettings
        if !others.isEmpty { try container.encode(others, forKey: .issuerSettings) }
        try container.encode(consumers, forKey: .consumers)
        try container.encode(policy, forKey: .policy)
        try container.encode(tags, forKey: .tags)
        try container.encode(notes, forKey: .notes)
        try container.encodeIfPresent(secretDescription, forKey: .secretDescription)
        if monitored { try container.encode(true, forKey: .monitored) }
        try container.encodeIfPresent(objectID, forKey: .objectID)
        try container.encodeIfPresent(owners, forKey: .owners)
    }
}

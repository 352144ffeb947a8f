import Foundation

/// The test world every rotation check starts from, in one place: the Swift end-to-end tests
/// (`EmulatorWorld`), the Python harnesses (`Scripts/harnesslib.py`), the rotation benchmark and
/// the quick start all seed it through this type, in process or through
/// `secrets-emulator`'s control API (`POST /_emulator/world`).
///
/// The world is a tenant as an admin finds it before `secrets` rotates anything: a rotator app
/// holding `Application.ReadWrite.OwnedBy` (plus ``rotatorRoles``), Entra ID apps it owns, each
/// with today's secret, and, with ``jamf``, a Jamf Pro with an API client (integration
/// ``integrationID``) and a canary Mac (``canary``) that reports compliance.
public struct WorldPlan: Sendable, Codable, Equatable {
    /// An Entra ID app the rotator owns, with one secret.
    public struct App: Sendable, Codable, Equatable {
        /// Its label in the vault.
        public var label: String
        /// Its display name in Entra ID; the label when `nil`.
        public var displayName: String?
        /// Its app ID; a new one when `nil`.
        public var appID: String?
        /// When today's secret expires, in days from now (under 30: due).
        public var expiresInDays: Int
        /// More `secrets app add` options (consumers, policy). `{jamf}` stands for the Jamf Pro
        /// emulator's URL.
        public var options: [String]

        /// Plans an app; see the properties for what each argument means.
        public init(label: String, displayName: String? = nil, appID: String? = nil, expiresInDays: Int, options: [String] = []) {
            self.label = label
            self.displayName = displayName
            self.appID = appID
            self.expiresInDays = expiresInDays
            self.options = options
        }

        enum CodingKeys: String, CodingKey {
            case label, displayName, appID = "appId", expiresInDays, options
        }

        /// Reads an app in which everything but the label may be left out (12 days, no options).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            label = try container.decode(String.self, forKey: .label)
            displayName = try container.decodeIfPresent(String.self, forKey: .displayName)
            appID = try container.decodeIfPresent(String.self, forKey: .appID)
            expiresInDays = try container.decodeIfPresent(Int.self, forKey: .expiresInDays) ?? 12
            options = try container.decodeIfPresent([String].self, forKey: .options) ?? []
        }
    }

    /// The canary computer the emulated Jamf Pro holds.
    public static let canary = "42"
    /// The Jamf Pro API integration the `jamf-api` client belongs to.
    public static let integrationID = "7"
    /// The Jamf Pro API client's "tenant" as the vault records it.
    public static let jamfTenant = "contoso.jamfcloud.com"

    /// The Entra ID tenant of the rotator and its apps.
    public var tenant: String
    /// The Entra ID cloud (`global`, `usgov`, …).
    public var cloud: String
    /// The rotator's Graph application permissions.
    public var rotatorRoles: [String]
    /// Whether the world has Jamf Pro: the API client `jamf-api` and the canary Mac.
    public var jamf: Bool
    /// The rotator's apps.
    public var apps: [App]

    /// Plans a world; see the properties for what each argument means.
    public init(
        tenant: String = "contoso.onmicrosoft.com", cloud: String = "global", rotatorRoles: [String] = ["Application.ReadWrite.OwnedBy"],
        jamf: Bool = false, apps: [App] = []
    ) {
        self.tenant = tenant
        self.cloud = cloud
        self.rotatorRoles = rotatorRoles
        self.jamf = jamf
        self.apps = apps
    }

    /// Reads a plan in which every field may be left out (the defaults above).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = WorldPlan()
        tenant = try container.decodeIfPresent(String.self, forKey: .tenant) ?? defaults.tenant
        cloud = try container.decodeIfPresent(String.self, forKey: .cloud) ?? defaults.cloud
        rotatorRoles = try container.decodeIfPresent([String].self, forKey: .rotatorRoles) ?? defaults.rotatorRoles
        jamf = try container.decodeIfPresent(Bool.self, forKey: .jamf) ?? defaults.jamf
        apps = try container.decodeIfPresent([App].self, forKey: .apps) ?? defaults.apps
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// The update payload for Jamf Pro's macOS Intune integration: every value the Jamf Pro form
/// needs for an app's current secret (the form's one-time "Open administrator consent URL" aside),
/// and the steps to apply and verify it.
///
/// No Jamf Pro API reads or writes the integration's settings, so this document is the product's
/// own, versioned contract (`Schemas/jamf-intune-payload.v1.schema.json`): a person follows its
/// ``runbook()``, or an apply command receives its ``json()`` on stdin and enters it by whatever
/// means the site has. Version 1 has these members, in this order:
///
/// `schemaVersion` (1), `kind` (`jamf-pro-macos-intune-integration`), `action` (`update` or
/// `disconnect`), `generatedAt`, `jamfProURL`, `app` (`label`, `cloud`), `settings` in the order of
/// the Jamf Pro form (`enabled`, `connectionType`, `sovereignCloud`, `tenantName`, `applicationID`,
/// `clientSecret`, `clientSecretRedacted`), `credential` (`keyID`, `hint`, `expires`) or null,
/// `previous` (`keyID`, `retireAfter`) or null, `steps`, `verify` and `notes` (arrays of text).
/// Dates are RFC 3339 in UTC with whole seconds (`2027-05-01T00:00:00Z`).
///
/// The client secret is in the document only when it was built with the value (`reveal`);
/// otherwise `clientSecret` is null and `clientSecretRedacted` is true. A `disconnect` payload has
/// no secret at all: `clientSecret` null, `clientSecretRedacted` false.
public struct JamfIntunePayload: Sendable {
    /// The document's schema version.
    public static let schemaVersion = 1
    /// The document's kind, so that a tool can tell it from other JSON.
    public static let kind = "jamf-pro-macos-intune-integration"

    /// What the payload asks for.
    public enum Action: String, Sendable, Hashable {
        /// Enter a (new) client secret and keep the integration enabled.
        case update
        /// Clear "Enable Intune Integration for macOS", keeping the configuration.
        case disconnect
    }

    /// The fields of the Jamf Pro form, in its order.
    public struct Settings: Sendable {
        /// "Enable Intune Integration for macOS".
        public var enabled: Bool
        /// "Connection Type": always `manual`, the only type that holds a client secret.
        public var connectionType: String
        /// "Sovereign Cloud": see ``ClientSecrets/Cloud/jamfSovereignCloud``.
        public var sovereignCloud: String
        /// "Microsoft Entra tenant name" (a domain such as `contoso.onmicrosoft.com`).
        public var tenantName: String
        /// "Application ID": the Entra app's client ID.
        public var applicationID: String
        /// "Client Secret" (older Jamf Pro: "Application Key"); `nil` when redacted or disconnecting.
        public var clientSecret: SecureBytes?
        /// True when the payload withholds a secret that exists (built without `reveal`).
        public var clientSecretRedacted: Bool
    }

    /// The secret the payload is about, without its value.
    public struct CredentialSummary: Sendable, Hashable {
        /// Its key id.
        public var keyID: String
        /// Its first characters, as Entra ID shows them, to tell secrets apart in the portal.
        public var hint: String
        /// When it stops working.
        public var expires: Date?
    }

    /// The secret this one replaces, still valid during the overlap.
    public struct PreviousSummary: Sendable, Hashable {
        /// Its key id.
        public var keyID: String
        /// When it is due to be removed.
        public var retireAfter: Date?
    }

    /// What the payload asks for.
    public var action: Action
    /// When it was made.
    public var generatedAt: Date
    /// The Jamf Pro server (no trailing slash).
    public var jamfProURL: String
    /// The app's label in the vault.
    public var appLabel: String
    /// The app's exact cloud (``ClientSecrets/Cloud``), finer than ``Settings/sovereignCloud``.
    public var cloud: Cloud
    /// The form's fields.
    public var settings: Settings
    /// The secret to enter (`nil` for a disconnect).
    public var credential: CredentialSummary?
    /// The secret it replaces, if one is still valid.
    public var previous: PreviousSummary?
    /// What to do in Jamf Pro, in order.
    public var steps: [String]
    /// How to tell it worked.
    public var verify: [String]
    /// Things to know: a tenant stored as a GUID, an expired secret, the migration Microsoft asks for.
    public var notes: [String]

    /// The payload that switches Jamf Pro to `credential`.
    ///
    /// - Parameters:
    ///   - jamfProURL: the Jamf Pro server (a `jamf-pro-intune` consumer's target).
    ///   - previous: the credential it replaces, when that one is still valid (`previous` state).
    ///   - secret: the value, to reveal it; `nil` redacts it.
    ///   - canaryComputerID: the computer whose compliance `secrets` checks, mentioned in `verify`.
    public static func update(
        app: App, jamfProURL: String, credential: Credential, previous: Credential?, secret: SecureBytes?,
        canaryComputerID: String? = nil, generatedAt: Date = Date()
    ) -> JamfIntunePayload {
        let settings = Settings(
            enabled: true, connectionType: "manual", sovereignCloud: app.cloud.jamfSovereignCloud, tenantName: app.tenant,
            applicationID: app.appID, clientSecret: secret, clientSecretRedacted: secret == nil)
        var payload = JamfIntunePayload(
            action: .update, generatedAt: generatedAt, jamfProURL: normalized(jamfProURL), appLabel: app.label, cloud: app.cloud,
            settings: settings,
            credential: CredentialSummary(keyID: credential.keyID, hint: credential.hint, expires: credential.expires),
            previous: previous.map { PreviousSummary(keyID: $0.keyID, retireAfter: $0.retireAfter) },
            steps: [], verify: [], notes: [])
        payload.steps = payload.updateSteps()
        payload.verify = payload.updateChecks(canaryComputerID: canaryComputerID)
        payload.notes = payload.commonNotes(app: app)
        if let expires = credential.expires, expires <= generatedAt {
            payload.notes.insert(
                "Secret \(credential.keyID) expired on \(OrderedJSON.format(expires)): Jamf Pro cannot use it. Rotate first (`secrets rotate \(app.label)`).",
                at: 0)
        }
        return payload
    }

    /// The payload for the consumer of a rotation: `delivery`'s secret, revealed or not.
    public static func update(
        delivery: SecretDelivery, jamfProURL: String, reveal: Bool, canaryComputerID: String? = nil, generatedAt: Date = Date()
    ) -> JamfIntunePayload {
        update(
            app: delivery.app, jamfProURL: jamfProURL, credential: delivery.credential, previous: delivery.previous,
            secret: reveal ? delivery.value : nil, canaryComputerID: canaryComputerID, generatedAt: generatedAt)
    }

    /// The payload that disconnects the integration (clears "Enable Intune Integration for
    /// macOS", which keeps the configuration); it carries no secret.
    public static func disconnect(app: App, jamfProURL: String, generatedAt: Date = Date()) -> JamfIntunePayload {
        let settings = Settings(
            enabled: false, connectionType: "manual", sovereignCloud: app.cloud.jamfSovereignCloud, tenantName: app.tenant,
            applicationID: app.appID, clientSecret: nil, clientSecretRedacted: false)
        var payload = JamfIntunePayload(
            action: .disconnect, generatedAt: generatedAt, jamfProURL: normalized(jamfProURL), appLabel: app.label, cloud: app.cloud,
            settings: settings, credential: nil, previous: nil, steps: [], verify: [], notes: [])
        payload.steps = payload.disconnectSteps()
        payload.verify = payload.disconnectChecks()
        payload.notes = payload.commonNotes(app: app)
        return payload
    }

    /// True when the document holds the client secret.
    public var revealsSecret: Bool { settings.clientSecret != nil }

    /// The document as JSON text (see the type's description), in storage that wipes itself.
    /// The same payload always gives the same bytes.
    public func json() -> SecureBytes {
        document().text().bytes()
    }

    /// The document as an ordered JSON tree.
    func document() -> OrderedJSON {
        let secret: OrderedJSON = settings.clientSecret.map { .secret($0) } ?? .null
        return .object([
            ("schemaVersion", .int(Self.schemaVersion)),
            ("kind", .string(Self.kind)),
            ("action", .string(action.rawValue)),
            ("generatedAt", .date(generatedAt)),
            ("jamfProURL", .string(jamfProURL)),
            ("app", .object([("label", .string(appLabel)), ("cloud", .string(cloud.rawValue))])),
            ("settings", .object([
                ("enabled", .bool(settings.enabled)),
                ("connectionType", .string(settings.connectionType)),
                ("sovereignCloud", .string(settings.sovereignCloud)),
                ("tenantName", .string(settings.tenantName)),
                ("applicationID", .string(settings.applicationID)),
                ("clientSecret", secret),
                ("clientSecretRedacted", .bool(settings.clientSecretRedacted)),
            ])),
            ("credential", credential.map {
                .object([("keyID", .string($0.keyID)), ("hint", .string($0.hint)), ("expires", .date($0.expires))])
            } ?? .null),
            ("previous", previous.map { .object([("keyID", .string($0.keyID)), ("retireAfter", .date($0.retireAfter))]) } ?? .null),
            ("steps", .array(steps.map { .string($0) })),
            ("verify", .array(verify.map { .string($0) })),
            ("notes", .array(notes.map { .string($0) })),
        ])
    }

    /// A URL without trailing slashes, as people type it into the form.
    private static func normalized(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

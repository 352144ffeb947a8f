/// One setting of an app that makes an admin's `rotate` or `rollback` *act* rather than merely
/// record: run a process, send requests to a server, or authenticate with another app's secret.
///
/// Settings like these are code, not data: whoever writes them decides what the admin's next
/// rotation runs and where it sends secrets. ``App/actions`` lists them, so that anything that
/// takes apps from an unauthenticated source (an import document) can refuse or show them.
public struct AppAction: Sendable, Hashable, Codable {
    /// What the setting makes the admin do.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// `rotator`: the app's new secrets are created with the secret of the app named here.
        case rotator
        /// `jamfProIssuer.url`: the Jamf Pro server whose API creates the app's secrets.
        case jamfProServer = "jamf-pro-server"
        /// Another issuer's server (`issuerSettings.KEY`): called with credentials to create the secrets.
        case issuerServer = "issuer-server"
        /// A `command=` consumer: a process that is run and handed each new secret on stdin.
        case commandConsumer = "command-consumer"
        /// A `jamf-pro-intune` consumer's URL: the server the new secret is for, which
        /// verification calls and the runbook sends people to.
        case jamfProIntuneURL = "jamf-pro-intune-url"
        /// A `jamf-pro-intune` consumer's API client: the app whose secret authenticates to that server.
        case jamfAPIClient = "jamf-api-client"
        /// A `jamf-pro-intune` consumer's apply command: a process that is run and handed the update payload.
        case applyCommand = "apply-command"
        /// A consumer setting no consumer kind declares: it cannot be checked, so it is treated as an action.
        case consumerSetting = "consumer-setting"
    }

    /// The label of the app the setting belongs to.
    public var app: String
    /// What the setting makes the admin do.
    public var kind: Kind
    /// Where the setting is in the export document's app entry, such as `rotator` or
    /// `consumers[1].applyCommand`.
    public var field: String
    /// The setting's value as stored: a label, a URL or a command. Use ``displayValue`` to show it.
    public var value: String

    /// Creates an action.
    public init(app: String, kind: Kind, field: String, value: String) {
        self.app = app
        self.kind = kind
        self.field = field
        self.value = value
    }

    /// ``value`` safe to print on a terminal: control and formatting characters as `\u{…}`.
    public var displayValue: String { Self.neutralised(value) }

    /// ``app`` safe to print on a terminal.
    public var displayApp: String { Self.neutralised(app) }

    /// `app "LABEL": FIELD`, neutralised, as refusals name an action.
    public var location: String { "app \"\(displayApp)\": \(field)" }

    /// `text` with every control, format (bidirectional overrides, zero-width characters) and
    /// line or paragraph separator scalar written as `\u{XXXX}`, so that text from an
    /// unauthenticated document can neither drive the terminal nor disguise what it says.
    public static func neutralised(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

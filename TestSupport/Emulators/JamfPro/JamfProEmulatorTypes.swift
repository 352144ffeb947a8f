import Foundation

extension JamfProEmulator {
    /// Settings that apply to every request.
    public struct Configuration: Sendable, Hashable {
        /// Seconds added before every Jamf Pro API answer (not the `/_emulator/` ones).
        public var latency: TimeInterval
        /// `expires_in` of new tokens, in seconds (Jamf Pro's default is 599).
        public var tokenLifetime: TimeInterval
        /// Whether every computer sends an inventory report half a second after the Intune
        /// integration is saved, as if the apply command also started `jamf recon` on it. Off:
        /// computers report only when told to (``JamfProEmulator/report(computerID:)``).
        public var reportOnSave: Bool

        /// Creates a configuration.
        public init(latency: TimeInterval = 0, tokenLifetime: TimeInterval = 599, reportOnSave: Bool = false) {
            self.latency = latency
            self.tokenLifetime = tokenLifetime
            self.reportOnSave = reportOnSave
        }
    }

    /// Decides whether the Intune integration's configured secret works: the lead wires it to the
    /// Entra emulator's `accepts(appID:secret:)`. Without one, any non-empty secret works.
    public typealias SecretValidator = @Sendable (_ tenant: String, _ appID: String, _ secret: String) async -> Bool

    /// The Jamf Pro API operations faults can be injected into.
    public enum Operation: String, Sendable, Hashable, CaseIterable, Codable {
        /// `POST /api/oauth/token` (also `/api/v1/oauth/token`).
        case token
        /// `GET /api/v1/conditional-access/device-compliance/feature-toggle`.
        case featureToggle = "feature-toggle"
        /// `GET /api/v1/conditional-access/device-compliance-information/computer/{id}`.
        case complianceInformation = "compliance-information"
        /// `GET /api/v1/computers-inventory/{id}` (`?section=GENERAL`).
        case computerInventory = "computer-inventory"
        /// `POST /api/v1/api-integrations/{id}/client-credentials`.
        case regenerateClientCredentials = "regenerate-client-credentials"
        /// `GET /api/v1/api-integrations/{id}`.
        case apiIntegration = "api-integration"
    }

    /// What an injected fault does instead of answering.
    public enum Fault: Sendable, Hashable {
        /// 429 with `Retry-After` seconds (no header when `nil`).
        case throttle(retryAfter: Int?)
        /// A 5xx (or any) status with a Jamf-style error body, and a `Retry-After` when given.
        case serverError(status: Int, retryAfter: Int? = nil)
        /// Never answers (until the emulator stops).
        case hang
        /// Closes the connection without a byte of answer.
        case dropConnection
    }

    /// The Intune integration's settings as last saved through `PUT /_emulator/intune-integration`.
    public struct ConfiguredIntegration: Sendable, Hashable {
        /// Microsoft Entra tenant name.
        public var tenant: String
        /// Application ID.
        public var appID: String
        /// Client secret (a test value: the emulator talks to other emulators only).
        public var secret: String
        /// "Enable Intune Integration for macOS".
        public var enabled: Bool
        /// Sovereign Cloud.
        public var sovereignCloud: String
    }

    /// One Jamf Pro API request as it arrived (bodies are not kept: they carry secrets).
    public struct RecordedRequest: Sendable, Hashable {
        /// The HTTP method.
        public var method: String
        /// The path.
        public var path: String
        /// The raw query string ("" when none).
        public var query: String
        /// The operation it addressed, if any.
        public var operation: Operation?
        /// Whether it carried `Authorization: Bearer …`.
        public var hadBearer: Bool
        /// The status answered (0 for a hang or dropped connection).
        public var status: Int
        /// When it arrived.
        public var at: Date
    }

    /// A computer the emulator knows.
    struct Computer: Sendable, Hashable {
        var complianceState: String
        var applicable: Bool
        var vendorDeviceID: String
        /// Who the answer says reported the state.
        var complianceVendor: String = "Microsoft Intune"
        /// `general.reportDate` as answered: the last inventory report (ISO 8601), or any text a
        /// test sets; `nil` answers `null`.
        var reportDate: String?
        /// What the last report told Intune, once the computer reported through the emulator: Jamf
        /// Pro keeps the state of the last report, so a report made while Jamf Pro held a secret
        /// Entra ID refused keeps showing `UNKNOWN` until the next report.
        var lastReport: InventoryReport?
    }

    /// One inventory report of a computer, with what the integration held when it was made.
    struct InventoryReport: Sendable, Hashable {
        /// When.
        var date: Date
        /// The secret Jamf Pro held then ("" when no integration was saved or it was disabled).
        var secret: String
        /// Whether Entra ID accepted that secret then.
        var worked: Bool
    }

    /// What the next API-client regeneration answer says instead of the truth: the client's
    /// secret is still regenerated (the old one dies), but the answer carries these values.
    public struct HostileRegeneration: Sendable, Hashable {
        /// The `clientId` to answer.
        public var clientID: String?
        /// The `clientSecret` to answer.
        public var clientSecret: String?
        /// A `clientSecret` of this many `A` characters instead, for size limits.
        public var clientSecretLength: Int?

        /// Creates a hostile answer; `nil` fields keep the true value.
        public init(clientID: String? = nil, clientSecret: String? = nil, clientSecretLength: Int? = nil) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.clientSecretLength = clientSecretLength
        }
    }

    /// A registered API client.
    struct APIClient: Sendable, Hashable {
        var clientID: String
        var secret: String
        var integrationID: String
        var mayRegenerate: Bool
    }

    /// A bearer token handed out.
    struct IssuedToken: Sendable, Hashable {
        var clientID: String
        var expires: Date
    }

    /// A fault waiting to fire, with how many more times it will.
    struct PendingFault: Sendable, Hashable {
        var fault: Fault
        var remaining: Int
    }
}

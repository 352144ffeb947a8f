/// Something that uses an app's secret and must be given the new one after a rotation.
public struct Consumer: Sendable, Hashable, Codable {
    /// What kind of consumer this is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Jamf Pro's macOS Intune integration (manual connection); `target` is the Jamf Pro URL.
        case jamfProIntune = "jamf-pro-intune"
        /// A command that receives the new secret on stdin; `target` is the command.
        case command
    }

    /// What kind of consumer this is.
    public var kind: Kind
    /// The Jamf Pro URL or the command, depending on ``kind``.
    public var target: String
    /// Jamf Pro: the label of an app in the vault holding a Jamf Pro API client, used to verify
    /// the integration after a switch.
    public var apiClient: String?
    /// Jamf Pro: a computer id whose compliance information must still be reported after a switch.
    public var canaryComputerID: String?
    /// Jamf Pro: a command that applies the update payload, which it receives on stdin.
    public var applyCommand: String?

    /// Creates a consumer.
    public init(kind: Kind, target: String, apiClient: String? = nil, canaryComputerID: String? = nil, applyCommand: String? = nil) {
        self.kind = kind
        self.target = target
        self.apiClient = apiClient
        self.canaryComputerID = canaryComputerID
        self.applyCommand = applyCommand
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` naming what is not acceptable.
    public func validate() throws {
        guard !target.isEmpty else {
            throw VaultError.invalidValue(field: "consumer", reason: "\(kind.rawValue) needs a target after '='")
        }
        switch kind {
        case .jamfProIntune:
            try Validation.serviceURL(target, field: "consumer")
        case .command:
            try Validation.printable(target, field: "consumer", maximumCount: 4096)
            guard apiClient == nil, canaryComputerID == nil, applyCommand == nil else {
                throw VaultError.invalidValue(field: "consumer", reason: "API client, canary and apply command belong to a jamf-pro-intune consumer")
            }
        }
        if let apiClient { try Validation.label(apiClient) }
        if let canaryComputerID, canaryComputerID.isEmpty || !canaryComputerID.allSatisfy(\.isNumber) || canaryComputerID.count > 18 {
            throw VaultError.invalidValue(field: "jamf-canary", reason: "\"\(canaryComputerID.prefix(32))\" is not a Jamf Pro computer id (a number)")
        }
        if let applyCommand { try Validation.printable(applyCommand, field: "apply-command", maximumCount: 4096) }
    }

    /// Integrations people may try to register that hold no client secret, with why.
    public static func explainSecretless(_ kind: String) -> String? {
        switch kind.lowercased() {
        case "jamf-pro-cloud-connector", "cloud-connector":
            return "Jamf Pro's Cloud Connector holds no client secret (Microsoft and Jamf manage the connection), so there is nothing to rotate; register only manual-connection integrations as jamf-pro-intune"
        case "jamf-pro-device-compliance", "device-compliance":
            return "Jamf Pro's Device Compliance integration holds no client secret, so there is nothing to rotate; register only manual-connection integrations as jamf-pro-intune"
        default:
            return nil
        }
    }
}

extension Consumer: CustomStringConvertible {
    /// `kind=target`, the form the command line accepts, plus any Jamf Pro settings.
    public var description: String {
        var text = "\(kind.rawValue)=\(target)"
        if let apiClient { text += " (api client \(apiClient))" }
        if let canaryComputerID { text += " (canary computer \(canaryComputerID))" }
        if applyCommand != nil { text += " (apply command set)" }
        return text
    }
}

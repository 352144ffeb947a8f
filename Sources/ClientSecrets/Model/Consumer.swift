/// Something that uses an app's secret and must be given the new one after a rotation.
///
/// Adding a consumer kind: a case of ``Kind`` with its target, ``Kind/settings`` and
/// ``Kind/personDeliveryUnless``, the module that implements `SecretConsumer` (module
/// `Rotation`) for it, and one line in the `Providers` module's consumer list. Storage, export,
/// the listings and the trust rules follow from the declarations.
public struct Consumer: Sendable, Hashable {
    /// What kind of consumer this is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Jamf Pro's macOS Intune integration (manual connection); `target` is the Jamf Pro URL.
        case jamfProIntune = "jamf-pro-intune"
        /// A command that receives the new secret on stdin; `target` is the command.
        case command

        /// The settings a consumer of this kind reads, each optional.
        public var settings: [ConsumerSetting] {
            switch self {
            case .jamfProIntune:
                return [
                    ConsumerSetting(
                        key: "apiClient", flag: "jamf-api-client", summary: "the app holding a Jamf Pro API client, to verify with",
                        format: .appLabel, action: .jamfAPIClient),
                    ConsumerSetting(
                        key: "canaryComputerID", flag: "jamf-canary", summary: "Jamf Pro computer id", format: .number(maximumDigits: 18),
                        action: nil),
                    ConsumerSetting(
                        key: "applyCommand", flag: "apply-command", summary: "the command that applies the update payload",
                        format: .command, action: .applyCommand),
                ]
            case .command:
                return []
            }
        }

        /// What the target is, for messages and the list of actions.
        public var targetSummary: String {
            switch self {
            case .jamfProIntune: "jamf-pro-intune URL"
            case .command: "command"
            }
        }

        /// What the target makes an admin do: every target is an action (a server called, a process run).
        public var targetAction: AppAction.Kind {
            switch self {
            case .jamfProIntune: .jamfProIntuneURL
            case .command: .commandConsumer
            }
        }

        /// The setting without which a person delivers the new secret (Jamf Pro's form, from
        /// the runbook) and the rotation waits for them; `nil` for a kind that always delivers itself.
        public var personDeliveryUnless: String? {
            switch self {
            case .jamfProIntune: "applyCommand"
            case .command: nil
            }
        }

        /// Throws ``VaultError/invalidValue(field:reason:)`` for a target this kind cannot use.
        func validateTarget(_ target: String) throws {
            switch self {
            case .jamfProIntune: try Validation.serviceURL(target, field: "consumer")
            case .command: try Validation.printable(target, field: "consumer", maximumCount: 4096)
            }
        }
    }

    /// What kind of consumer this is.
    public var kind: Kind
    /// The Jamf Pro URL or the command, depending on ``kind``.
    public var target: String
    /// The kind's settings that are set (``Kind/settings``), by key.
    public var settings: [String: String]

    /// Jamf Pro: the label of an app in the vault holding a Jamf Pro API client, used to verify
    /// the integration after a switch.
    public var apiClient: String? {
        get { settings["apiClient"] }
        set { settings["apiClient"] = newValue }
    }
    /// Jamf Pro: a computer id whose compliance information must still be reported after a switch.
    public var canaryComputerID: String? {
        get { settings["canaryComputerID"] }
        set { settings["canaryComputerID"] = newValue }
    }
    /// Jamf Pro: a command that applies the update payload, which it receives on stdin.
    public var applyCommand: String? {
        get { settings["applyCommand"] }
        set { settings["applyCommand"] = newValue }
    }

    /// Creates a consumer.
    public init(
        kind: Kind, target: String, apiClient: String? = nil, canaryComputerID: String? = nil, applyCommand: String? = nil,
        settings: [String: String] = [:]
    ) {
        self.kind = kind
        self.target = target
        self.settings = settings
        if let apiClient { self.settings["apiClient"] = apiClient }
        if let canaryComputerID { self.settings["canaryComputerID"] = canaryComputerID }
        if let applyCommand { self.settings["applyCommand"] = applyCommand }
    }

    /// Whether a person delivers the new secret and the rotation waits for them (see
    /// ``Kind/personDeliveryUnless``).
    public var waitsForPerson: Bool {
        kind.personDeliveryUnless.map { settings[$0] == nil } ?? false
    }

    /// The other apps whose secrets this consumer uses (its settings whose format is
    /// ``ConsumerSetting/Format/appLabel``): a rotation of this app waits for theirs.
    public var appLabels: [String] {
        kind.settings.filter { $0.format == .appLabel }.compactMap { settings[$0.key] }
    }

    /// The settings in the kind's declared order, then any the kind does not declare, by key.
    public var orderedSettings: [(key: String, value: String)] {
        let declared = kind.settings.map(\.key)
        return declared.compactMap { key in settings[key].map { (key, $0) } }
            + settings.filter { !declared.contains($0.key) }.sorted { $0.key < $1.key }
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` naming what is not acceptable.
    public func validate() throws {
        guard !target.isEmpty else {
            throw VaultError.invalidValue(field: "consumer", reason: "\(kind.rawValue) needs a target after '='")
        }
        try kind.validateTarget(target)
        let undeclared = settings.keys.filter { key in !kind.settings.contains { $0.key == key } }.sorted()
        if let key = undeclared.first {
            let owners = Kind.allCases.filter { $0.settings.contains { $0.key == key } }.map(\.rawValue)
            let reason = owners.isEmpty
                ? "\(key) is not a setting of any consumer"
                : "\(undeclared.joined(separator: ", ")) belong to a \(owners.joined(separator: " or ")) consumer, not to a \(kind.rawValue) one"
            throw VaultError.invalidValue(field: "consumer", reason: reason)
        }
        for setting in kind.settings {
            if let value = settings[setting.key] { try setting.validate(value) }
        }
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
        // A setting of a kind added later: its key only, as the apply command, since it may be a command.
        for (key, _) in orderedSettings where !["apiClient", "canaryComputerID", "applyCommand"].contains(key) { text += " (\(key) set)" }
        return text
    }
}

extension Consumer: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `{"kind", "target", then each setting under its own key}`: the shape export documents
    /// and listings have always had for the Jamf Pro settings, and the one a new kind's settings take.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        kind = try container.decode(Kind.self, forKey: Key(stringValue: "kind"))
        target = try container.decode(String.self, forKey: Key(stringValue: "target"))
        settings = [:]
        for key in container.allKeys where !Self.reservedKeys.contains(key.stringValue) {
            // A key that holds no string was never a setting; like the synthesized decoding this
            // replaced, it is ignored. A string under a key no kind declares is kept, and
            // validation refuses it.
            if let value = try? container.decodeIfPresent(String.self, forKey: key) { settings[key.stringValue] = value }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(kind, forKey: Key(stringValue: "kind"))
        try container.encode(target, forKey: Key(stringValue: "target"))
        for (key, value) in orderedSettings where !Self.reservedKeys.contains(key) { try container.encode(value, forKey: Key(stringValue: key)) }
    }

    /// The keys of a consumer entry that are not settings.
    static let reservedKeys: Set = ["kind", "target"]
}

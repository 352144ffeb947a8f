/// One setting a consumer kind reads beyond its target, declared by the kind
/// (``Consumer/Kind/settings``) so that storage, export, the listings and the trust rules handle
/// a new kind's settings without being changed.
public struct ConsumerSetting: Sendable, Hashable {
    /// What values are acceptable.
    public enum Format: Sendable, Hashable {
        /// The label of another app in the vault.
        case appLabel
        /// A record number on the consumer's server: 1 to `maximumDigits` digits.
        case number(maximumDigits: Int)
        /// A command line, run by the admin's rotation.
        case command
    }

    /// The key in ``Consumer/settings`` and in the export document's consumer entry, such as `apiClient`.
    public let key: String
    /// The command-line flag that sets it, without dashes, such as `jamf-api-client`.
    public let flag: String
    /// One line for help and messages.
    public let summary: String
    /// What values are acceptable.
    public let format: Format
    /// What the setting makes an admin do (``App/actions``), or `nil` when it only picks a record
    /// on a server named elsewhere.
    public let action: AppAction.Kind?

    /// Declares a setting.
    public init(key: String, flag: String, summary: String, format: Format, action: AppAction.Kind?) {
        self.key = key
        self.flag = flag
        self.summary = summary
        self.format = format
        self.action = action
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` for an unacceptable value, naming the
    /// flag (an app label's error names `label`, as every label's does).
    public func validate(_ value: String) throws {
        switch format {
        case .appLabel:
            try Validation.label(value)
        case .number(let maximumDigits):
            guard Validation.isNumber(value, maximumDigits: maximumDigits) else {
                throw VaultError.invalidValue(field: flag, reason: "\"\(value.prefix(32))\" is not a \(summary) (a number)")
            }
        case .command:
            try Validation.printable(value, field: flag, maximumCount: 4096)
        }
    }
}

/// One setting an issuer reads from an app (beyond the rotator): set with
/// `--issuer-setting KEY=VALUE` (or the issuer's own flag), stored encrypted with the app,
/// exported and shown like every other field.
///
/// An issuer declares its settings in ``IssuerKind/settings``, so that storage, export, the
/// listings, the command line and the trust rules handle a new issuer's settings without being
/// changed: a setting whose format is ``Format/serviceURL`` is an action (``App/actions``),
/// refused from an import document unless accepted.
public struct IssuerSetting: Sendable, Hashable {
    /// What values are acceptable, and whether the value makes an admin act.
    public enum Format: Sendable, Hashable {
        /// A server the issuer calls with credentials: https (http only on loopback). An action.
        case serviceURL
        /// A record number on a server named elsewhere: 1 to `maximumDigits` digits.
        case number(maximumDigits: Int)
    }

    /// The key in ``App/issuerSettings``, such as `url`.
    public let key: String
    /// The issuer's own command-line flag for it, without dashes, such as `jamf-url`.
    public let flag: String
    /// One line for help and messages.
    public let summary: String
    /// What values are acceptable.
    public let format: Format

    /// Declares a setting.
    public init(key: String, flag: String, summary: String, format: Format) {
        self.key = key
        self.flag = flag
        self.summary = summary
        self.format = format
    }

    /// Whether the value makes an admin's rotation send requests somewhere.
    public var isAction: Bool { format == .serviceURL }

    /// Throws ``VaultError/invalidValue(field:reason:)``, naming the flag, for an unacceptable value.
    public func validate(_ value: String) throws {
        switch format {
        case .serviceURL:
            try Validation.serviceURL(value, field: flag)
        case .number(let maximumDigits):
            guard Validation.isNumber(value, maximumDigits: maximumDigits) else {
                throw VaultError.invalidValue(field: flag, reason: "\"\(value.prefix(32))\" is not a number of at most \(maximumDigits) digits")
            }
        }
    }
}

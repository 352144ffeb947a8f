/// How an audited action ended.
public struct AuditOutcome: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stored text.
    public let rawValue: String

    /// An outcome by its stored text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stored text.
    public var description: String { rawValue }

    /// It was done.
    public static let ok = AuditOutcome(rawValue: "ok")
    /// It was refused or failed; the detail says why.
    public static let failed = AuditOutcome(rawValue: "failed")
}

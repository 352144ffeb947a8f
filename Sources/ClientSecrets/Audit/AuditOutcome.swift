/// How an audited action ended.
public struct AuditOutcome: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stored text.
    public let rawValue: String

    /// An outcome by its stored text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stored text.
    public var description: String { rawValue }

    /// Decodes the stored text.
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    /// Encodes the stored text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// It was done.
    public static let ok = AuditOutcome(rawValue: "ok")
    /// It was refused or failed; the detail says why.
    public static let failed = AuditOutcome(rawValue: "failed")
}

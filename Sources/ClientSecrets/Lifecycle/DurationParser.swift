import Foundation

/// Durations as people write them on the command line: `90d`, `12w`, `6mo`, `1y`, `36h`, `30m`,
/// or combinations such as `1y6mo`. A month counts 30 days and a year 365.
public enum DurationParser {
    private static let units: [(suffix: String, seconds: TimeInterval)] = [
        ("mo", 30 * 86_400), ("y", 365 * 86_400), ("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// Parses `text`, throwing ``VaultError/invalidValue(field:reason:)`` naming `field` when it is not a duration.
    public static func parse(_ text: String, field: String) throws -> TimeInterval {
        let invalid = VaultError.invalidValue(
            field: field, reason: "\"\(text.prefix(64))\" is not a duration (examples: 90d, 12w, 6mo, 1y, 36h)")
        var rest = Substring(text.lowercased())
        var total: TimeInterval = 0
        guard !rest.isEmpty else { throw invalid }
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
            guard !digits.isEmpty, digits.count <= 6, let amount = Int(digits) else { throw invalid }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { throw invalid }
            rest = rest.dropFirst(unit.suffix.count)
            total += TimeInterval(amount) * unit.seconds
        }
        return total
    }

    /// The shortest exact rendering in days, hours or minutes (`180d`, `36h`, `90m`, `45s`).
    public static func format(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

import ClientSecrets
import Foundation

/// Graph's timestamps: ISO 8601 in UTC. Written with whole seconds (`2027-05-01T00:00:00Z`);
/// read with or without fractional seconds of any length (Graph writes seven digits) and with
/// `Z` or an offset.
enum GraphDate {
    /// `date` as `yyyy-MM-ddTHH:mm:ssZ`, the fraction of a second dropped.
    static func format(_ date: Date) -> String {
        DateParser.format(date)
    }

    /// Parses a Graph timestamp; `nil` when it is not one.
    static func parse(_ text: String) -> Date? {
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let rest = text[text.index(after: dot)...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
            base = String(text[..<dot]) + String(rest.dropFirst(digits.count))
        }
        guard let date = try? Date(base, strategy: .iso8601) else { return nil }
        return date.addingTimeInterval(fraction)
    }
}

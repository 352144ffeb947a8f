import Foundation

/// Dates as people and Azure write them: `2027-05-31` (midnight UTC), RFC 3339 timestamps with or
/// without fractional seconds, or a duration from now (`90d`, `6mo`).
public enum DateParser {
    /// Parses an absolute date or a duration added to `now`; throws naming `field` otherwise.
    public static func parse(_ text: String, field: String, now: Date) throws -> Date {
        if let date = absolute(text) { return date }
        if let duration = try? DurationParser.parse(text, field: field) { return now.addingTimeInterval(duration) }
        throw VaultError.invalidValue(
            field: field,
            reason: "\"\(text.prefix(64))\" is neither a date (2027-05-31, 2027-05-31T12:00:00Z) nor a duration from now (90d, 6mo)")
    }

    /// Parses `YYYY-MM-DD` (UTC) or an RFC 3339 timestamp; `nil` when `text` is neither.
    public static func absolute(_ text: String) -> Date? {
        // Foundation rolls an impossible day over (2027-02-30 becomes March 2); a date typed
        // wrong is refused instead of silently moving an expiry.
        guard hasValidCalendarDay(text) else { return nil }
        if text.count == 10 { return try? Date.ISO8601FormatStyle().year().month().day().parse(text) }
        return RFC3339Timestamp.parse(text)
    }

    /// Whether `text` starts with `YYYY-MM-DD` naming a day that exists in the Gregorian calendar.
    static func hasValidCalendarDay(_ text: String) -> Bool {
        let parts = text.prefix(10).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return DateComponents(calendar: calendar, year: year, month: month, day: day).isValidDate
    }

    /// RFC 3339 in UTC with whole seconds (`2027-05-01T00:00:00Z`), the fraction of a second
    /// dropped: the one formatter of the package, for JSON documents, tables, notes, the audit
    /// log, Graph request bodies and the Jamf Pro payload.
    ///
    /// Listings format thousands of dates, so this uses the C library's calendar arithmetic
    /// rather than a format style.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return date.formatted(Date.ISO8601FormatStyle()) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        let paddedYear = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(paddedYear)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

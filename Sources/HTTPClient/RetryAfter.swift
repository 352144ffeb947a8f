import Foundation

/// A server's `Retry-After`, read so that no value can trap or overflow: the one parser Graph,
/// the token endpoint and Jamf Pro share.
///
/// Both forms of RFC 9110 are read: delay seconds (leniently, as a decimal number) and an HTTP
/// date. A number is parsed as a `Double` first; one that is not finite, or negative, is no
/// `Retry-After` at all. Every wait is cut to ``ceiling`` *before* it becomes an integer or a
/// `Duration`, so `99999999999999999`, `1e308` or a date in year 9999 are merely "very long".
public struct RetryAfter: Sendable, Hashable, CustomStringConvertible {
    /// The longest wait represented, in seconds (about 31 years); longer ones are cut to it.
    /// Far beyond any retry policy, and small enough that seconds × 10⁹ still fits an `Int64`.
    public static let ceiling: Double = 1_000_000_000

    /// The wait in seconds: finite, from 0 to ``ceiling``.
    public let seconds: Double

    /// A wait of `seconds`, clamped to 0…``ceiling`` (a NaN is 0).
    public init(seconds: Double) {
        self.seconds = seconds.isNaN ? 0 : min(max(seconds, 0), Self.ceiling)
    }

    /// Reads a `Retry-After` value; `nil` when absent or not a usable wait.
    public static func parse(_ header: String?, now: Date = Date()) -> RetryAfter? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text.count <= 64 else { return nil }
        if let number = Double(text) {
            guard number.isFinite, number >= 0 else { return nil }
            return RetryAfter(seconds: number)
        }
        guard let date = httpDate(text) else { return nil }
        let interval = date.timeIntervalSince(now)
        return interval.isFinite ? RetryAfter(seconds: interval) : nil
    }

    /// Whether this wait is longer than `limit`.
    public func exceeds(_ limit: Duration) -> Bool {
        seconds > limit.seconds
    }

    /// This wait, cut to `limit` (and to zero from below).
    public func delay(atMost limit: Duration) -> Duration {
        let bounded = min(seconds, max(0, limit.seconds))
        return .milliseconds(Int64((bounded * 1000).rounded(.up)))
    }

    /// `3600 s`, or `more than 1000000000 s` for a wait that was cut.
    public var description: String {
        seconds >= Self.ceiling ? "more than \(Int(Self.ceiling)) s" : "\(Int(seconds.rounded(.up))) s"
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

import ClientSecrets
import Foundation

/// When a computer last reported to Jamf Pro, from `GET /api/v1/computers-inventory/{id}?section=GENERAL`:
/// `{"id", "general": {"reportDate", "lastContactTime", …}, …}`.
///
/// `general.reportDate` is the computer's last inventory report ("Last Inventory Update" in the
/// Jamf Pro interface: `sudo jamf recon`, or a policy's inventory update), which is what sends
/// Intune the data it evaluates; `general.lastContactTime` is its last check-in, which sends none.
/// The device-compliance-information endpoint has no timestamp at all, so this is the only
/// documented way to tell a report made after a change from one made before it.
public struct ComputerInventoryReport: Sendable, Hashable {
    /// The last inventory report, if the computer ever sent one.
    public var reportDate: Date?
    /// The last check-in, if any.
    public var lastContactTime: Date?

    /// The earliest date believed (Jamf Pro 10.39 introduced this endpoint; nothing reported before 2000).
    static let earliest = Date(timeIntervalSince1970: 946_684_800)
    /// How far ahead of this machine's clock Jamf Pro's may be. A date further ahead is refused:
    /// it would make any report look newer than anything applied.
    public static let clockSkew: TimeInterval = 300

    private struct Answer: Decodable {
        struct General: Decodable {
            var reportDate: String?
            var lastContactTime: String?
        }
        var general: General?
    }

    /// Creates a report.
    public init(reportDate: Date?, lastContactTime: Date?) {
        self.reportDate = reportDate
        self.lastContactTime = lastContactTime
    }

    /// Parses Jamf Pro's answer, checked against `now`; the text of the refusal never quotes it.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/unexpectedResponse(_:)`` for JSON of another shape,
    ///   a date that is not one, or one before 2000 or more than ``clockSkew`` ahead of `now`.
    public static func parse(_ body: Data, now: Date, host: String) throws -> ComputerInventoryReport {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body), let general = answer.general else {
            throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) answered the inventory read without a general section")
        }
        func date(_ text: String?, _ name: String) throws -> Date? {
            guard let text, !text.isEmpty else { return nil }
            guard let parsed = parseDate(text) else {
                throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) answered a \(name) that is not a date")
            }
            guard parsed >= earliest, parsed <= now.addingTimeInterval(clockSkew) else {
                throw RotationFailure.unexpectedResponse(
                    "Jamf Pro at \(host) answered a \(name) out of range (before 2000 or more than \(Int(clockSkew)) s ahead of this machine's clock)")
            }
            return parsed
        }
        return ComputerInventoryReport(
            reportDate: try date(general.reportDate, "reportDate"), lastContactTime: try date(general.lastContactTime, "lastContactTime"))
    }

    /// Jamf Pro's timestamps: ISO 8601 with `Z` or an offset, with or without milliseconds
    /// (`2026-12-06T00:10:13.123Z`).
    static func parseDate(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        // Fractions first: the plain style may read "…:13.123Z" as "…:13Z", an earlier moment,
        // and a report must never look older or newer than it is.
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: .iso8601)
    }
}

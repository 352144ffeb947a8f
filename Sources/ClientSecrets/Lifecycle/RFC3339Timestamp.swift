import Foundation

/// Reads RFC 3339 timestamps: the one parser for what Microsoft Graph answers, what the az CLI
/// exports (`startDateTime`, `endDateTime`), Graph's sign-in report and dates people type, such as `2026-05-01T12:34:56Z`, `2026-05-01T12:34:56.789Z`,
/// `2024-01-01T00:00:00.0000000Z` (.NET's seven fractional digits) and `2026-05-01T12:34:56+00:00`.
///
/// Written by hand rather than with `ISO8601DateFormatter` so that any number of fractional digits
/// is accepted and the result does not depend on the platform's Foundation. A timestamp without a
/// zone (`Z` or `±hh:mm`) is refused, because it does not name an instant.
public enum RFC3339Timestamp {
    /// The instant `text` names, or `nil` if it is not a complete date-time with a zone.
    public static func parse(_ text: String) -> Date? {
        var cursor = Cursor(bytes: Array(text.utf8))
        guard let year = cursor.number(digits: 4), cursor.skip("-"),
              let month = cursor.number(digits: 2), cursor.skip("-"),
              let day = cursor.number(digits: 2), cursor.skip("T") || cursor.skip("t"),
              let hour = cursor.number(digits: 2), cursor.skip(":"),
              let minute = cursor.number(digits: 2), cursor.skip(":"),
              let second = cursor.number(digits: 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }

        var fraction = 0.0
        if cursor.skip(".") {
            let digits = cursor.digitRun()
            // Nine digits (nanoseconds) are more than a Date holds; the rest cannot matter.
            guard !digits.isEmpty, let value = Double("0." + digits.prefix(9)) else { return nil }
            fraction = value
        }

        let offsetSeconds: Int
        if cursor.skip("Z") || cursor.skip("z") {
            offsetSeconds = 0
        } else if let sign = cursor.sign() {
            guard let offsetHours = cursor.number(digits: 2) else { return nil }
            _ = cursor.skip(":")
            guard let offsetMinutes = cursor.number(digits: 2),
                  (0...23).contains(offsetHours), (0...59).contains(offsetMinutes)
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard cursor.atEnd else { return nil }

        let days = daysSinceUnixEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysSinceUnixEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A cursor over the UTF-8 bytes of a timestamp.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        /// Consumes `character` (ASCII) if it is next.
        mutating func skip(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }

        /// Consumes exactly `digits` ASCII digits and returns their value.
        mutating func number(digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }

        /// Consumes every ASCII digit that follows and returns them as text.
        mutating func digitRun() -> String {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// Consumes `+` or `-` and returns 1 or -1.
        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}

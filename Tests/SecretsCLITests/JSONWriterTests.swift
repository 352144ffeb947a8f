import ClientSecrets
import Foundation
@testable import SecretsCLI
import Testing

/// `expiring --json` is written by ``JSONWriter`` for speed; every other listing by
/// `Printer.json` (JSONEncoder). Scripts read both, so the two must write the same bytes for the
/// same shape, as JSONWriter's documentation promises.
@Suite struct JSONWriterTests {
    struct Entry: Encodable {
        let expires: Date
        let hint: String
        let ok: Bool
        let count: Int
    }

    struct Report: Encodable {
        let checkedAt: Date
        let credentials: [Entry]
        let days: Int
        let status: String
    }

    /// Strings a label, hint or server message may hold: quotes, backslashes, slashes, controls
    /// (a terminal escape, DEL, a line separator), non-ASCII.
    static let awkward = [
        "plain", #"quote " and \ backslash"#, "slash / and url https://x/y", "tab\tnewline\nreturn\r",
        "escape \u{1B}]52;c;Zm9v\u{07} bell", "nul \u{0} and \u{7F} del", "backspace \u{8} formfeed \u{C} unit \u{1F}", "c1 \u{85} bidi \u{202E} \u{2066}", "line\u{2028}separator", "ünïcødé 🔑", "",
    ]

    static let dates = [
        Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000),
        Date(timeIntervalSince1970: 1_800_000_000.75), Date(timeIntervalSince1970: 253_402_300_799),
    ]

    @Test(arguments: 0..<3) func writerAndEncoderWriteTheSameBytes(entries: Int) throws {
        let items = (0..<entries * 4).map { index in
            Entry(expires: Self.dates[index % Self.dates.count], hint: Self.awkward[index % Self.awkward.count], ok: index % 2 == 0, count: index - 3)
        }
        let report = Report(checkedAt: Self.dates[1], credentials: items, days: 30, status: Self.awkward[entries])
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("checkedAt", .date(report.checkedAt))
        writer.beginArray(key: "credentials")
        for item in items {
            writer.beginObject()
            writer.field("count", .int(item.count))
            writer.field("expires", .date(item.expires))
            writer.field("hint", .string(item.hint))
            writer.field("ok", .bool(item.ok))
            writer.endObject()
        }
        writer.endArray()
        writer.field("days", .int(report.days))
        writer.field("status", .string(report.status))
        writer.endObject()
        let encoded = try Printer.jsonText(report)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
    }

    @Test func everyStringIsQuotedAsTheEncoderQuotesIt() throws {
        for text in Self.awkward {
            let encoded = String(decoding: try Printer.jsonText([text]), as: UTF8.self)
            #expect(encoded == "[\n  \(JSONWriter.quoted(text))\n]", "\(text.debugDescription)")
        }
    }

    @Test func writerDatesAreTheOneFormatterDates() {
        for date in Self.dates + [Date(timeIntervalSince1970: -86_401.5)] {
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("at", .date(date))
            writer.endObject()
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "{\n  \"at\" : \"\(DateParser.format(date))\"\n}")
        }
    }

    @Test func theExpiryReportInPiecesIsTheReportInOne() throws {
        let now = Self.dates[1]
        let entries = (0..<600).map { index in
            ExpiringCredential(
                app: App(label: "app \(index) \(Self.awkward[index % Self.awkward.count])", appID: UUID().uuidString, tenant: UUID().uuidString),
                credential: Credential(
                    keyID: UUID().uuidString, hint: "h\(index)", created: now, validFrom: now,
                    expires: now.addingTimeInterval(Double(index) * 3_600), state: .current),
                custody: .held)
        }
        var whole: [UInt8] = []
        var pieces: [[UInt8]] = []
        ExpiringCommand.json(entries, days: 30, status: "warning", now: now, pieceSize: .max) { whole.append(contentsOf: $0) }
        ExpiringCommand.json(entries, days: 30, status: "warning", now: now) { pieces.append(Array($0)) }
        #expect(whole.count > 4 * ExpiringCommand.jsonPieceSize, "the report is too small to need pieces")
        #expect(pieces.count >= 4)
        #expect(pieces.dropLast().allSatisfy { $0.count >= ExpiringCommand.jsonPieceSize })
        #expect(Array(pieces.joined()) == whole)
        let decoded = try JSONSerialization.jsonObject(with: Data(whole)) as? [String: Any]
        #expect((decoded?["credentials"] as? [Any])?.count == entries.count)
    }
}

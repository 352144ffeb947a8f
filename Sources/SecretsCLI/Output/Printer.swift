import ClientSecrets
import Foundation

/// Tables for people and JSON for programs.
///
/// Every line and table cell goes through ``TerminalText/neutralised(_:)`` here, the one place
/// human output is written, so no label, hint, display name or server message can drive the
/// terminal or break a row; JSON escapes the same characters (see ``JSONWriter``).
enum Printer {
    /// Prints `value` as pretty JSON with sorted keys and RFC 3339 dates.
    static func json<T: Encodable>(_ value: T) throws {
        StandardStreams.out(try jsonText(value) + Data("\n".utf8))
    }

    /// What ``json(_:)`` prints, without the final newline.
    static func jsonText<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return JSONWriter.escapingControls(try encoder.encode(value))
    }

    /// Prints rows under a header, each column padded to its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let header = header.map(TerminalText.neutralised)
        let rows = rows.map { $0.map(TerminalText.neutralised) }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        var output = line(header) + "\n"
        for row in rows { output += line(row) + "\n" }
        StandardStreams.out(output)
    }

    /// Prints `text` as one line: a newline or any other control character in it is shown
    /// escaped, never acted on.
    static func line(_ text: String) {
        StandardStreams.out(TerminalText.neutralised(text) + "\n")
    }

    /// Prints `text` exactly as it is, for formats with escaping rules of their own (the
    /// Prometheus exposition format, whose label values must not hold `\u{…}`).
    static func verbatim(_ text: String) {
        StandardStreams.out(text)
    }

    static func day(_ date: Date?) -> String {
        guard let date else { return "never" }
        return String(DateParser.format(date).prefix(10))
    }
}

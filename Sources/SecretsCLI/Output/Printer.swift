import ClientSecrets
import Foundation

/// Tables for people and JSON for programs.
enum Printer {
    /// Prints `value` as pretty JSON with sorted keys and RFC 3339 dates.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// Prints rows under a header, each column padded to its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
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
        FileHandle.standardOutput.write(Data(output.utf8))
    }

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func day(_ date: Date?) -> String {
        guard let date else { return "never" }
        return String(DateParser.format(date).prefix(10))
    }
}


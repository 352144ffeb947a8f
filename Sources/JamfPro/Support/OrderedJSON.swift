import ClientSecrets
import CryptoPrimitives
import Foundation

/// A JSON value whose object members keep the order they were given in, with a leaf for a
/// secret that is written escaped into wiped storage (see ``SecureText``).
///
/// The payload needs both: its settings follow the order of the Jamf Pro form (which sorted keys
/// would scramble), and its client secret must not pass through a `String`.
indirect enum OrderedJSON {
    case string(String)
    case secret(SecureBytes)
    case int(Int)
    case bool(Bool)
    case date(Date)
    case null
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// A string, or null.
    static func string(_ value: String?) -> OrderedJSON { value.map { .string($0) } ?? .null }

    /// A date, or null.
    static func date(_ value: Date?) -> OrderedJSON { value.map { .date($0) } ?? .null }

    /// Pretty-printed text (two-space indentation, `"key": value`) ending in a newline.
    func text() -> SecureText {
        var text = SecureText()
        write(into: &text, depth: 0)
        text.append("\n")
        return text
    }

    /// RFC 3339 in UTC with whole seconds: `2027-05-01T00:00:00Z`.
    static func format(_ date: Date) -> String {
        DateParser.format(date)
    }

    private func write(into text: inout SecureText, depth: Int) {
        let indent = String(repeating: "  ", count: depth + 1)
        let closing = String(repeating: "  ", count: depth)
        switch self {
        case .string(let value): text.append(JSONString.quoted(value, escapingTerminalControls: false))
        case .secret(let value):
            text.append("\"")
            text.append(.jsonEscapedSecret(value))
            text.append("\"")
        case .int(let value): text.append(String(value))
        case .bool(let value): text.append(value ? "true" : "false")
        case .date(let value): text.append(JSONString.quoted(Self.format(value), escapingTerminalControls: false))
        case .null: text.append("null")
        case .array(let values):
            guard !values.isEmpty else { return text.append("[]") }
            text.append("[\n")
            for (index, value) in values.enumerated() {
                text.append(indent)
                value.write(into: &text, depth: depth + 1)
                text.append(index == values.count - 1 ? "\n" : ",\n")
            }
            text.append(closing + "]")
        case .object(let members):
            guard !members.isEmpty else { return text.append("{}") }
            text.append("{\n")
            for (index, (key, value)) in members.enumerated() {
                text.append(indent + JSONString.quoted(key, escapingTerminalControls: false) + ": ")
                value.write(into: &text, depth: depth + 1)
                text.append(index == members.count - 1 ? "\n" : ",\n")
            }
            text.append(closing + "}")
        }
    }
}

import ClientSecrets
import Foundation

/// Writes JSON text directly, for the listings that monitoring runs on every check: it keeps no
/// intermediate tree, so memory stays flat however many rows there are.
///
/// Output matches what ``Printer/json(_:)`` writes for the same shape: keys in sorted order,
/// two-space indentation, RFC 3339 dates.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var depth = 0
    /// Whether the container open at each depth already has a member, one bit per depth
    /// (bit 0: the top level), instead of an array that every value would check and update.
    private var hasMembers: UInt64 = 0

    /// The deepest nesting this writer supports; the reports it writes are three deep.
    static let maximumDepth = 63

    /// - Parameter capacity: bytes to reserve up front, for a caller that can estimate the size.
    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    enum Value {
        case string(String)
        case int(Int)
        case bool(Bool)
        case date(Date)
        case null
    }

    private static let indents: [[UInt8]] = (0..<8).map { [UInt8(ascii: "\n")] + Array(repeating: UInt8(ascii: " "), count: 2 * $0) }

    private mutating func newline() {
        if depth < Self.indents.count {
            bytes.append(contentsOf: Self.indents[depth])
        } else {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
        }
    }

    private mutating func append(_ string: String) { bytes.append(contentsOf: string.utf8) }

    private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if hasMembers & bit != 0 { bytes.append(UInt8(ascii: ",")) }
        hasMembers |= bit
        if depth > 0 { newline() }
    }

    mutating func beginObject(key: StaticString? = nil) { open(UInt8(ascii: "{"), key: key) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray(key: StaticString? = nil) { open(UInt8(ascii: "["), key: key) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Hands what is written so far to `sink` and starts an empty buffer in its place, keeping
    /// its capacity: a long report goes out in pieces instead of growing one buffer to its size.
    mutating func drain(to sink: (borrowing [UInt8]) -> Void) {
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// The line end after the document.
    mutating func appendNewline() { bytes.append(UInt8(ascii: "\n")) }

    private mutating func open(_ bracket: UInt8, key: StaticString?) {
        precondition(depth < Self.maximumDepth, "JSONWriter nested deeper than \(Self.maximumDepth)")
        separate()
        if let key { appendKey(key) }
        bytes.append(bracket)
        depth += 1
        hasMembers &= ~(1 << UInt64(depth))
    }

    private mutating func close(_ bracket: UInt8) {
        let hadMembers = hasMembers & (1 << UInt64(depth)) != 0
        depth -= 1
        // JSONEncoder's pretty printing writes an empty container as an empty line between its
        // brackets; `expiring --json` with nothing expiring must read the same.
        if !hadMembers { bytes.append(UInt8(ascii: "\n")) }
        newline()
        bytes.append(bracket)
    }

    /// Writes `"key" : value`; pairs must be given in sorted key order.
    mutating func field(_ key: StaticString, _ value: Value) {
        separate()
        appendKey(key)
        switch value {
        case .string(let string): appendQuoted(string)
        case .int(let number): append(String(number))
        case .bool(let flag): append(flag ? "true" : "false")
        case .date(let date): appendDate(date)
        case .null: append("null")
        }
    }

    /// Writes `"key" : "value"`, as ``field(_:_:)`` with `.string(value)` does, without making a
    /// ``Value`` of it (which retains the string): the listings write thousands of these.
    mutating func field(_ key: StaticString, string value: String) {
        separate()
        appendKey(key)
        appendQuoted(value)
    }

    /// Writes one string element of an array.
    mutating func element(_ string: String) {
        separate()
        appendQuoted(string)
    }

    /// `"YYYY-MM-DDTHH:MM:SSZ"`, as ``DateParser/format(_:)`` writes it, straight into the buffer.
    private mutating func appendDate(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil, (0...9999).contains(parts.tm_year + 1900) else {
            return appendQuoted(DateParser.format(date))
        }
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        bytes.append(UInt8(ascii: "\""))
        digits(parts.tm_year + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        bytes.append(contentsOf: "Z\"".utf8)
    }

    /// Keys are literals without characters that need escaping.
    private mutating func appendKey(_ key: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\" : ".utf8)
    }

    /// Appends a JSON string literal; most strings need no escaping and are copied as they are.
    private mutating func appendQuoted(_ string: String) {
        let copied: Bool? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            guard !utf8.contains(where: Self.mayNeedEscaping) else { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if copied != true { append(Self.quoted(string)) }
    }

    /// Whether a UTF-8 byte may start something ``quoted(_:)`` escapes: a quote, a backslash, a
    /// C0 control, DEL, or the lead byte of a C1 control (0xC2) or of a bidi control (0xE2).
    private static func mayNeedEscaping(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xE2
    }

    /// A JSON string literal, as every listing writes it (see `JSONString` in `ClientSecrets`):
    /// terminal controls escaped too.
    static func quoted(_ string: String) -> String {
        JSONString.quoted(string, escapingTerminalControls: true)
    }

    /// `json` (as `JSONEncoder` writes it) with DEL, C1 controls and bidi controls escaped as
    /// `\u…` as ``quoted(_:)`` does; JSON requires escaping only C0, which the encoder does.
    /// These characters are never part of JSON's own syntax, so they can only occur inside
    /// strings, and the document still decodes to the same values.
    static func escapingControls(_ json: Data) -> Data {
        guard json.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return json }
        let bytes = [UInt8](json)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var index = 0
        func escape(_ value: UInt32) { out.append(contentsOf: Array(JSONString.unicodeEscape(value).utf8)) }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x7F {
                escape(0x7F)
                index += 1
            } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                escape(UInt32(bytes[index + 1]))
                index += 2
            } else if byte == 0xE2, index + 2 < bytes.count,
                      (bytes[index + 1] == 0x80 && (0xAA...0xAE).contains(bytes[index + 2]))
                        || (bytes[index + 1] == 0x81 && (0xA6...0xA9).contains(bytes[index + 2])) {
                escape(0x2000 | (UInt32(bytes[index + 1] & 0x3F) << 6) | UInt32(bytes[index + 2] & 0x3F))
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return Data(out)
    }
}

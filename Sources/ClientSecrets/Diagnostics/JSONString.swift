import Foundation

/// The one JSON string quoting of the package: the listings `JSONWriter` writes, the Jamf Pro
/// payload, and the secret written escaped into wiped storage, byte by byte.
///
/// Escapes are the ones `JSONEncoder` writes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, and
/// `\u00XX` for the other C0 controls; `/` as it is), so that a document written by hand reads
/// byte for byte like one `Printer.json` writes.
package enum JSONString {
    /// The escape for `byte` inside a JSON string, or `nil` when it stands as it is. Bytes of
    /// multi-byte UTF-8 sequences stand as they are.
    package static func escape(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "\""): return "\\\""
        case UInt8(ascii: "\\"): return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        case 0..<0x20: return unicodeEscape(UInt32(byte))
        default: return nil
        }
    }

    /// `text` as a quoted JSON string. With `escapingTerminalControls`, DEL, C1 controls and
    /// bidi controls are also written as `\u…`, so that `jq` or `cat` showing the document cannot
    /// drive the terminal (see ``TerminalText``); JSON itself does not require it.
    package static func quoted(_ text: String, escapingTerminalControls: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, let escape = escape(UInt8(scalar.value)) {
                out += escape
            } else if escapingTerminalControls, TerminalText.isUnsafe(scalar) {
                out += unicodeEscape(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `\uXXXX` in lowercase hex, as `JSONEncoder` writes it.
    package static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

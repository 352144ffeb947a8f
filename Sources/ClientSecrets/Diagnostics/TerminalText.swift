/// Text from the vault, an import or a server made safe to print to a terminal.
///
/// Labels, hints, display names, notes and error text can come from an import document or from
/// Microsoft Graph, so they may hold anything: an escape sequence that sets the clipboard
/// (OSC 52), rewrites the window title or moves the cursor over earlier lines, a carriage return
/// that overprints a row, or a bidi override that shows a name backwards. Every character that
/// a terminal would act on instead of showing is replaced by a visible escape such as `\u{1B}`.
///
/// It lives in ClientSecrets, not the command line, because the Jamf Pro runbook (built in the
/// JamfPro module) needs it too.
package enum TerminalText {
    /// `text` with every C0 control (newline and tab included), DEL, C1 control and bidi
    /// override or isolate replaced by `\u{XX}`: one line that cannot move the cursor, change
    /// the terminal's state or break a table row. Text without such characters is returned as it is.
    package static func neutralised(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether `scalar` is one a terminal acts on rather than shows: C0 controls, DEL, C1
    /// controls (U+0080–U+009F, which some terminals read as CSI and OSC), and the bidi
    /// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
    package static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}

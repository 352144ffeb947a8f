import CryptoPrimitives
import Foundation

/// Cuts secrets out of text that someone else wrote: the output of a hook, a service's answer.
///
/// A hook that fails may print what it was given, and not always verbatim: encoded for a URL or a
/// header, cut short by one character, or in an error message that quotes part of it. Replacing
/// only the exact value leaves all of those readable, so this matches, for each secret:
///
/// - the value itself, and any run of ``minimumRun`` (8) or more characters of it;
/// - standard base64 and base64url of it, with and without padding, at each of the three
///   alignments it can have inside a longer encoded text (encodings of the value from its first,
///   second and third byte on), and any run of 8 or more characters of those;
/// - lowercase and uppercase hex;
/// - percent-encoding: RFC 3986 (unreserved characters kept), everything but letters and digits
///   encoded, and HTML-form encoding (`+` for a space), each with upper- and lowercase hex digits;
///   plus the percent-encoding of the base64 forms (`%2B`, `%2F`, `%3D`).
///
/// Every JSON Web Token is cut out too, whatever it signs (``WebTokens``).
///
/// Every maximal stretch of the text covered by such runs becomes one ``marker``. Runs shorter
/// than 8 characters are left alone, so an ordinary word that shares a few letters with a secret
/// survives; forms shorter than 8 characters (of a very short secret) are matched whole only.
///
/// Cost: the forms' 8-byte windows are kept sorted, and the text is scanned once with a binary
/// search per position: O(n log m) for n bytes of text and m windows (about a thousand for a
/// 40-character secret), so even a hook's whole captured output (64 KiB per stream) is quick.
/// The windows are derived from the secrets, so they live in wiped storage.
public struct SecretScrubber: Sendable {
    /// What replaces each stretch of secret material.
    public static let marker = "[redacted]"
    /// The shortest run of a secret's form that is matched inside other text.
    public static let minimumRun = 8

    /// Every distinct 8-byte window of every form, as native `UInt64`s in ascending order.
    private let windows: SecureBytes
    /// Forms shorter than ``minimumRun``: matched only whole.
    private let shortForms: [SecureBytes]

    /// `text` with every form of `secret` replaced by `[redacted]`, for a message built from a
    /// service's answer (defence in depth: should a service echo a credential back, it is cut out
    /// before the text reaches an error, which may be stored in the rotation journal). A value
    /// shorter than 4 bytes is no real credential and would blank ordinary text, so it is left;
    /// JSON Web Tokens are cut out in every case (a certificate's client assertion, which has
    /// no secret to name here).
    public static func scrub(_ text: String, removing secret: SecureBytes) -> String {
        SecretScrubber(secrets: secret.count >= 4 ? [secret] : []).scrub(text)
    }

    /// Prepares to scrub `secrets`; empty values are ignored.
    public init(secrets: [SecureBytes]) {
        var windowValues: [UInt64] = []
        var short: [SecureBytes] = []
        for secret in secrets where secret.count > 0 {
            var value = secret.withUnsafeBytes { [UInt8]($0) }
            var forms = Self.forms(of: value)
            Cleanse.wipe(&value)
            for index in forms.indices {
                if forms[index].count < Self.minimumRun {
                    if !short.contains(where: { $0.constantTimeEquals(SecureBytes(copying: forms[index])) }) {
                        short.append(SecureBytes(copying: forms[index]))
                    }
                } else {
                    for start in 0...(forms[index].count - Self.minimumRun) {
                        windowValues.append(Self.window(forms[index], at: start))
                    }
                }
                Cleanse.wipe(&forms[index])
            }
        }
        windowValues.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(windowValues.count)
        for window in windowValues where unique.last != window { unique.append(window) }
        windows = SecureBytes(count: unique.count * 8) { buffer in
            unique.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        windowValues.withUnsafeMutableBytes { Cleanse.wipe($0) }
        unique.withUnsafeMutableBytes { Cleanse.wipe($0) }
        shortForms = short
    }

    /// `text` with every form of every secret replaced by ``marker`` (the same text when none occurs).
    public func scrub(_ text: String) -> String {
        var bytes = Array(text.utf8)
        defer { Cleanse.wipe(&bytes) }
        guard let scrubbed = scrubbed(bytes) else { return text }
        return String(decoding: scrubbed, as: UTF8.self)
    }

    /// `bytes` with every form of every secret replaced by ``marker``.
    public func scrub(_ bytes: [UInt8]) -> [UInt8] {
        scrubbed(bytes) ?? bytes
    }

    /// The scrubbed bytes, or `nil` when nothing matched.
    private func scrubbed(_ bytes: [UInt8]) -> [UInt8]? {
        let covered = coverage(of: bytes)
        guard covered.contains(true) else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if covered[index] {
                result.append(contentsOf: Self.marker.utf8)
                while index < bytes.count, covered[index] { index += 1 }
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    /// Which bytes of `bytes` belong to a matched run.
    private func coverage(of bytes: [UInt8]) -> [Bool] {
        var covered = [Bool](repeating: false, count: bytes.count)
        let width = Self.minimumRun
        if bytes.count >= width, windows.count > 0 {
            windows.withUnsafeBytes { table in
                let count = table.count / 8
                func contains(_ window: UInt64) -> Bool {
                    var low = 0, high = count
                    while low < high {
                        let middle = (low + high) / 2
                        let value = table.load(fromByteOffset: middle * 8, as: UInt64.self)
                        if value == window { return true }
                        if value < window { low = middle + 1 } else { high = middle }
                    }
                    return false
                }
                var window: UInt64 = 0
                var markedUpTo = 0  // every index below this one that should be covered is
                for index in bytes.indices {
                    window = window << 8 | UInt64(bytes[index])
                    guard index >= width - 1, contains(window) else { continue }
                    // Overlapping windows chain into one stretch: extended as far as they reach.
                    for position in max(index - width + 1, markedUpTo)...index { covered[position] = true }
                    markedUpTo = index + 1
                }
                window = 0
            }
        }
        WebTokens.mark(bytes, covered: &covered)
        for form in shortForms {
            form.withUnsafeBytes { needle in
                guard needle.count <= bytes.count else { return }
                for start in 0...(bytes.count - needle.count)
                where bytes[start] == needle[0] && (1..<needle.count).allSatisfy({ bytes[start + $0] == needle[$0] }) {
                    for position in start..<start + needle.count { covered[position] = true }
                }
            }
        }
        return covered
    }

    /// The 8 bytes of `form` from `start`, packed the way ``coverage(of:)`` packs the text.
    private static func window(_ form: [UInt8], at start: Int) -> UInt64 {
        var window: UInt64 = 0
        for byte in form[start..<start + minimumRun] { window = window << 8 | UInt64(byte) }
        return window
    }

    // MARK: The forms of a value

    /// Every encoding of `value` this type matches (duplicates are harmless).
    static func forms(of value: [UInt8]) -> [[UInt8]] {
        var forms: [[UInt8]] = [value]
        for offset in 0..<min(3, value.count) {
            let tail = Array(value[offset...])
            let standard = base64(tail, alphabet: standardAlphabet)
            forms.append(standard)
            forms.append(base64(tail, alphabet: urlAlphabet))
            forms.append(percentEncoded(standard, keeping: isUnreserved, spaceAsPlus: false, lowercase: false))
            forms.append(percentEncoded(standard, keeping: isUnreserved, spaceAsPlus: false, lowercase: true))
        }
        forms.append(hex(value, lowercase: true))
        forms.append(hex(value, lowercase: false))
        for lowercase in [false, true] {
            forms.append(percentEncoded(value, keeping: isUnreserved, spaceAsPlus: false, lowercase: lowercase))
            forms.append(percentEncoded(value, keeping: isAlphanumeric, spaceAsPlus: false, lowercase: lowercase))
            forms.append(percentEncoded(value, keeping: isFormSafe, spaceAsPlus: true, lowercase: lowercase))
        }
        return forms
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64 with `=` padding (the unpadded form is a prefix of it, so it matches too).
    static func base64(_ bytes: [UInt8], alphabet: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { group |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                if position <= chunk.count {
                    result.append(alphabet[Int(group >> (18 - 6 * position) & 0x3f)])
                } else {
                    result.append(UInt8(ascii: "="))
                }
            }
            group = 0
            index += 3
        }
        return result
    }

    static func hex(_ bytes: [UInt8], lowercase: Bool) -> [UInt8] {
        let digits = Array((lowercase ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0f)])
        }
        return result
    }

    static func percentEncoded(_ bytes: [UInt8], keeping kept: (UInt8) -> Bool, spaceAsPlus: Bool, lowercase: Bool) -> [UInt8] {
        let digits = Array((lowercase ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            if kept(byte) {
                result.append(byte)
            } else if spaceAsPlus, byte == UInt8(ascii: " ") {
                result.append(UInt8(ascii: "+"))
            } else {
                result.append(UInt8(ascii: "%"))
                result.append(digits[Int(byte >> 4)])
                result.append(digits[Int(byte & 0x0f)])
            }
        }
        return result
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// RFC 3986's unreserved characters.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || Array("-._~".utf8).contains(byte)
    }

    /// What HTML-form encoding (application/x-www-form-urlencoded) leaves as it is.
    static func isFormSafe(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || Array("*-._".utf8).contains(byte)
    }
}

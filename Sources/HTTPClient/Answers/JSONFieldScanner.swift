import CryptoPrimitives
import Foundation

/// Reads the top-level members of a JSON object from raw bytes, decoding the members named as
/// secret straight into wiped storage.
///
/// The one reader of service answers that carry a secret: Graph's `addPassword` (`secretText`),
/// the token endpoints (`access_token`), Jamf Pro's client credentials (`clientSecret`). Such
/// answers must not go through
/// `JSONSerialization` or `JSONDecoder`, which would make the secret a `String` that lingers in
/// freed memory. Nested objects and arrays are skipped; numbers are kept as their text.
public struct JSONFieldScanner {
    /// The members read: strings (not secret), numbers and literals as text, and secrets.
    public struct Fields: Sendable {
        public var strings: [String: String] = [:]
        public var scalars: [String: String] = [:]
        public var secrets: [String: SecureBytes] = [:]
    }

    private var bytes: [UInt8]
    private var index = 0

    /// Scans `data`; returns `nil` when it is not a JSON object.
    public static func scan(_ data: Data, secrets: Set<String>) -> Fields? {
        var scanner = JSONFieldScanner(bytes: [UInt8](data))
        defer { scanner.wipe() }
        return scanner.object(secrets: secrets)
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func wipe() {
        Cleanse.wipe(&bytes)
    }

    private mutating func object(secrets: Set<String>) -> Fields? {
        var fields = Fields()
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipSpace()
        if take(UInt8(ascii: "}")) { return fields }
        while true {
            skipSpace()
            guard var keyBytes = string() else { return nil }
            let key = String(decoding: keyBytes, as: UTF8.self)
            Cleanse.wipe(&keyBytes)
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                guard var value = string() else { return nil }
                if secrets.contains(key) {
                    fields.secrets[key] = SecureBytes(copying: value)
                } else {
                    fields.strings[key] = String(decoding: value, as: UTF8.self)
                }
                Cleanse.wipe(&value)
            } else if bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") {
                guard skipContainer() else { return nil }
            } else {
                let start = index
                while index < bytes.count, !",}] \t\r\n".utf8.contains(bytes[index]) { index += 1 }
                guard index > start else { return nil }
                fields.scalars[key] = String(decoding: bytes[start..<index], as: UTF8.self)
            }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? fields : nil
        }
    }

    private mutating func skipSpace() {
        while index < bytes.count, " \t\r\n".utf8.contains(bytes[index]) { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Skips a nested object or array, minding brackets inside strings.
    private mutating func skipContainer() -> Bool {
        var depth = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                guard var skipped = string() else { return false }
                Cleanse.wipe(&skipped)
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    index += 1
                    return true
                }
            default: break
            }
            index += 1
        }
        return false
    }

    /// Decodes the string at `index` (which must be a quote) into UTF-8 bytes.
    private mutating func string() -> [UInt8]? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var result: [UInt8] = []
        // Room for the longest possible value up front: growing would leave copies behind.
        result.reserveCapacity(bytes.count - index)
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    result.append(contentsOf: UTF8.encode(unicode)!)
                default: return nil
                }
            default:
                result.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}

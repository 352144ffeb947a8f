import CryptoPrimitives
import Foundation

/// Takes `secretText` out of an `addPassword` answer straight into ``SecureBytes``, so that the
/// new secret never becomes a `String` (which could not be wiped).
///
/// It scans the JSON for the member `"secretText"` at any depth and decodes its string value,
/// escapes included. The rest of the answer is decoded normally, without that member.
enum SecretTextReader {
    /// The value of `secretText`, or `nil` when there is none (or it is not a string).
    static func secretText(in json: Data) -> SecureBytes? {
        json.withUnsafeBytes { raw -> SecureBytes? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let start = valueStart(in: bytes) else { return nil }
            guard let count = decode(bytes, from: start, into: nil), count > 0 else { return nil }
            return SecureBytes(count: count) { buffer in
                _ = decode(bytes, from: start, into: buffer)
            }
        }
    }

    /// The index just after the opening quote of the value of `"secretText"`.
    private static func valueStart(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = Array("\"secretText\"".utf8)
        var index = 0
        var inString = false
        var stringStart = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") {
                    inString = false
                    // A complete string: is it the key, followed by a colon and a string value?
                    if index + 1 - stringStart == key.count, zip(key, bytes[stringStart...index]).allSatisfy({ $0 == $1 }) {
                        var next = index + 1
                        while next < bytes.count, isWhitespace(bytes[next]) { next += 1 }
                        if next < bytes.count, bytes[next] == UInt8(ascii: ":") {
                            next += 1
                            while next < bytes.count, isWhitespace(bytes[next]) { next += 1 }
                            if next < bytes.count, bytes[next] == UInt8(ascii: "\"") { return next + 1 }
                            return nil
                        }
                    }
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                stringStart = index
            }
            index += 1
        }
        return nil
    }

    /// Decodes the JSON string starting at `start` (after its quote); counts the bytes when
    /// `buffer` is nil, writes them otherwise. `nil` for a malformed string.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, into buffer: UnsafeMutableRawBufferPointer?) -> Int? {
        var index = start
        var written = 0
        func emit(_ byte: UInt8) {
            if let buffer { buffer[written] = byte }
            written += 1
        }
        func emitScalar(_ value: UInt32) {
            guard let scalar = Unicode.Scalar(value) else { return }
            var utf8: [UInt8] = []
            UTF8.encode(scalar) { utf8.append($0) }
            utf8.forEach(emit)
            Cleanse.wipe(&utf8)
        }
        func hex4(at position: Int) -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[position..<position + 4] {
                guard let digit = hexValue(byte) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                return written
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): emit(escaped)
                case UInt8(ascii: "b"): emit(0x08)
                case UInt8(ascii: "f"): emit(0x0C)
                case UInt8(ascii: "n"): emit(0x0A)
                case UInt8(ascii: "r"): emit(0x0D)
                case UInt8(ascii: "t"): emit(0x09)
                case UInt8(ascii: "u"):
                    guard var value = hex4(at: index) else { return nil }
                    index += 4
                    if (0xD800..<0xDC00).contains(value), index + 6 <= bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                       let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low) {
                        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    emitScalar(value)
                default:
                    return nil
                }
            default:
                emit(byte)
                index += 1
            }
        }
        return nil
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

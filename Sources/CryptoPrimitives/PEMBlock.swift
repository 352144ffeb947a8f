import COpenSSL
import Foundation

/// PEM (RFC 7468): base64 of DER between `-----BEGIN label-----` and `-----END label-----` lines.
enum PEMBlock {
    /// The DER of the first block labelled one of `labels` in `text`.
    static func decode(_ text: String, labels: [String], what: String) throws -> [UInt8] {
        Array(try decodeSecret(SecureBytes(copying: Array(text.utf8)), labels: labels, what: what).withUnsafeBytes { Array($0) })
    }

    /// The DER of the one PEM block in `pem`, which must be labelled one of `labels`, in wiped
    /// storage (a private key's). Explanatory text around the block is allowed (RFC 7468 §2);
    /// a second block is not. The base64 is read strictly: only its alphabet, canonical
    /// padding and whitespace.
    static func decodeSecret(_ pem: SecureBytes, labels: [String], what: String) throws -> SecureBytes {
        try pem.withUnsafeBytes { bytes -> SecureBytes in
            let text = Array(bytes)
            defer { text.withUnsafeBufferPointer { OPENSSL_cleanse(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) } }
            let marker = Array("-----BEGIN ".utf8)
            guard let start = find(marker, in: text, from: 0) else {
                throw CryptoError.invalidKey(reason: "no PEM block found for the \(what)")
            }
            guard find(marker, in: text, from: start + marker.count) == nil else {
                throw CryptoError.invalidKey(reason: "the \(what)'s file holds more than one PEM block")
            }
            if find(Array("-----BEGIN ENCRYPTED PRIVATE KEY-----".utf8), in: text, from: start) == start {
                throw CryptoError.invalidKey(reason: "the \(what) is encrypted; decrypt it first")
            }
            guard let label = labels.first(where: { find(Array("-----BEGIN \($0)-----".utf8), in: text, from: start) == start }) else {
                throw CryptoError.invalidKey(reason: "the \(what)'s PEM block is not a \(labels.map { "\"\($0)\"" }.joined(separator: " or ")) block")
            }
            let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
            guard let stop = find(end, in: text, from: start + begin.count) else {
                throw CryptoError.invalidKey(reason: "the \(what)'s PEM block has no end line")
            }
            let body = text[(start + begin.count)..<stop]
            if body.contains(UInt8(ascii: ":")) {
                throw CryptoError.invalidKey(reason: "the \(what) is encrypted; decrypt it first")
            }
            var decoded = [UInt8]()
            decoded.reserveCapacity(body.count * 3 / 4 + 3)
            var quad = [UInt8](repeating: 0, count: 4)
            var filled = 0
            var padding = 0
            defer {
                decoded.withUnsafeMutableBufferPointer { OPENSSL_cleanse($0.baseAddress, $0.count) }
                quad.withUnsafeMutableBufferPointer { OPENSSL_cleanse($0.baseAddress, $0.count) }
            }
            let notBase64 = CryptoError.invalidKey(reason: "the \(what)'s PEM block is not base64")
            for byte in body {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
                case UInt8(ascii: "="):
                    // Padding only in the last quantum's last two places.
                    guard filled >= 2 else { throw notBase64 }
                    padding += 1
                    quad[filled] = 0
                default:
                    guard padding == 0, let value = alphabet[Int(byte)] else { throw notBase64 }
                    quad[filled] = value
                }
                filled += 1
                if filled == 4 {
                    decoded.append(quad[0] << 2 | quad[1] >> 4)
                    decoded.append(quad[1] << 4 | quad[2] >> 2)
                    decoded.append(quad[2] << 6 | quad[3])
                    filled = 0
                }
            }
            // Whole quanta only, and the bits that padding drops must be zero (RFC 4648 §3.5):
            // one text, one DER.
            guard filled == 0, padding <= 2, decoded.count > padding else { throw notBase64 }
            if padding == 2, quad[1] & 0x0F != 0 { throw notBase64 }
            if padding == 1, quad[2] & 0x03 != 0 { throw notBase64 }
            return SecureBytes(copying: decoded.prefix(decoded.count - padding))
        }
    }

    /// A PEM block of `der` labelled `label`, lines of 64 characters.
    static func encode(_ der: [UInt8], label: String) -> String {
        der.withUnsafeBytes { bytes in encodeSecret(bytes, label: label).withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
    }

    /// ``encode(_:label:)`` written straight into wiped storage (a private key's).
    static func encodeSecret(_ der: UnsafeRawBufferPointer, label: String) -> SecureBytes {
        let head = Array("-----BEGIN \(label)-----\n".utf8), tail = Array("-----END \(label)-----\n".utf8)
        let characters = (der.count + 2) / 3 * 4
        let count = head.count + characters + (characters + 63) / 64 + tail.count
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        return SecureBytes(count: count) { out in
            var index = 0
            func put(_ byte: UInt8) {
                out[index] = byte
                index += 1
            }
            head.forEach(put)
            var line = 0
            var offset = 0
            while offset < der.count {
                let a = der[offset], b = offset + 1 < der.count ? der[offset + 1] : 0, c = offset + 2 < der.count ? der[offset + 2] : 0
                for position in 0..<4 {
                    // No array of the symbols: they are the key's bits.
                    let symbol = switch position {
                    case 0: a >> 2
                    case 1: (a & 0x03) << 4 | b >> 4
                    case 2: (b & 0x0F) << 2 | c >> 6
                    default: c & 0x3F
                    }
                    put(offset + position - 1 < der.count || position < 2 ? table[Int(symbol)] : UInt8(ascii: "="))
                    line += 1
                    if line == 64 {
                        put(UInt8(ascii: "\n"))
                        line = 0
                    }
                }
                offset += 3
            }
            if line > 0 { put(UInt8(ascii: "\n")) }
            tail.forEach(put)
        }
    }

    private static let alphabet: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = from
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

import COpenSSL
import Foundation

/// PEM (RFC 7468): base64 of DER between `-----BEGIN label-----` and `-----END label-----` lines.
enum PEMBlock {
    /// The DER of the first block labelled one of `labels` in `text`.
    static func decode(_ text: String, labels: [String], what: String) throws -> [UInt8] {
        Array(try decodeSecret(SecureBytes(copying: Array(text.utf8)), labels: labels, what: what).withUnsafeBytes { Array($0) })
    }

    /// The DER of the first block labelled one of `labels` in `pem`, in wiped storage (a
    /// private key's). The base64 is read strictly: only its alphabet, padding and whitespace.
    static func decodeSecret(_ pem: SecureBytes, labels: [String], what: String) throws -> SecureBytes {
        try pem.withUnsafeBytes { bytes -> SecureBytes in
            let text = Array(bytes)
            defer { text.withUnsafeBufferPointer { OPENSSL_cleanse(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) } }
            for label in labels {
                let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
                guard let start = find(begin, in: text, from: 0), let stop = find(end, in: text, from: start + begin.count) else { continue }
                let body = text[(start + begin.count)..<stop]
                if body.contains(UInt8(ascii: ":")) {
                    throw CryptoError.invalidKey(reason: "the \(what) is encrypted (Proc-Type header); decrypt it first")
                }
                var decoded = [UInt8]()
                decoded.reserveCapacity(body.count * 3 / 4)
                var quad: [UInt8] = []
                defer { quad.withUnsafeMutableBufferPointer { OPENSSL_cleanse($0.baseAddress, $0.count) } }
                var padding = 0
                for byte in body {
                    switch byte {
                    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
                    case UInt8(ascii: "="): padding += 1; quad.append(0)
                    default:
                        guard padding == 0, let value = alphabet[Int(byte)] else {
                            throw CryptoError.invalidKey(reason: "the \(what)'s PEM block is not base64")
                        }
                        quad.append(value)
                    }
                    if quad.count == 4 {
                        decoded.append(quad[0] << 2 | quad[1] >> 4)
                        decoded.append(quad[1] << 4 | quad[2] >> 2)
                        decoded.append(quad[2] << 6 | quad[3])
                        quad.removeAll(keepingCapacity: true)
                    }
                }
                guard quad.isEmpty, padding <= 2, decoded.count > padding else {
                    throw CryptoError.invalidKey(reason: "the \(what)'s PEM block is not base64")
                }
                decoded.removeLast(padding)
                defer { decoded.withUnsafeMutableBufferPointer { OPENSSL_cleanse($0.baseAddress, $0.count) } }
                return SecureBytes(copying: decoded)
            }
            throw CryptoError.invalidKey(reason: "no PEM block \(labels.map { "\"\($0)\"" }.joined(separator: " or ")) found for the \(what)")
        }
    }

    /// A PEM block of `der` labelled `label`, lines of 64 characters.
    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// ``encode(_:label:)`` for a private key, into wiped storage.
    static func encodeSecret(_ der: UnsafeRawBufferPointer, label: String) -> SecureBytes {
        var text = Array(encode(Array(der), label: label).utf8)
        defer { text.withUnsafeMutableBufferPointer { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return SecureBytes(copying: text)
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

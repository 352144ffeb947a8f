import CryptoPrimitives
import Foundation

/// The primary key of a vault row: 16 random bytes, shown as 32 hexadecimal digits.
///
/// Random rather than sequential ids let a ciphertext's associated data name its row before
/// the row is inserted, and reveal nothing about insertion order.
public struct RecordID: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes.
    public let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    init(_ data: Data) { self.bytes = data.withUnsafeBytes { Array($0) } }

    /// A new random id.
    package static func random() throws -> RecordID { RecordID(bytes: try SecureRandom.bytes(count: 16)) }

    /// The id as it is stored.
    var data: Data { Data(bytes) }

    /// 32 lowercase hexadecimal digits.
    public var description: String { Hex.encode(bytes) }
}

/// Hexadecimal, for ids and digests shown to people (lowercase) and certificate thumbprints as
/// Entra ID shows them (uppercase).
package enum Hex {
    package static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

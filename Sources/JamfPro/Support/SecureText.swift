import ClientSecrets
import CryptoPrimitives
import Foundation

/// Text that may hold a secret, assembled straight into wiped storage.
///
/// Documents that carry a client secret (a revealed payload, a runbook) are built from segments:
/// ordinary text, and the secret, which is copied byte for byte into the result and never
/// becomes a `String` (whose storage could not be wiped). The result is measured first and then
/// written into one ``SecureBytes`` allocation, so no growing buffer leaves partial copies behind.
package struct SecureText {
    /// A piece of the text.
    package enum Segment {
        /// Text that holds no secret.
        case text(String)
        /// The secret as it is.
        case secret(SecureBytes)
        /// The secret escaped for the inside of a JSON string.
        case jsonEscapedSecret(SecureBytes)
    }

    package private(set) var segments: [Segment] = []

    /// An empty text.
    package init() {}

    /// Appends text that holds no secret.
    package mutating func append(_ text: String) {
        if case .text(let last)? = segments.last {
            segments[segments.count - 1] = .text(last + text)
        } else {
            segments.append(.text(text))
        }
    }

    /// Appends a segment.
    package mutating func append(_ segment: Segment) {
        if case .text(let text) = segment { append(text) } else { segments.append(segment) }
    }

    /// The bytes, in storage that wipes itself.
    package func bytes() -> SecureBytes {
        var total = 0
        for segment in segments { Self.emit(segment) { total += $0.count } }
        return SecureBytes(count: total) { buffer in
            var offset = 0
            for segment in segments {
                Self.emit(segment) { piece in
                    buffer.baseAddress!.advanced(by: offset).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
                    offset += piece.count
                }
            }
        }
    }

    /// Hands `sink` the bytes of `segment` in pieces (non-empty, valid only during the call).
    private static func emit(_ segment: Segment, _ sink: (UnsafeRawBufferPointer) -> Void) {
        switch segment {
        case .text(let text):
            var text = text
            text.withUTF8 { if $0.count > 0 { sink(UnsafeRawBufferPointer($0)) } }
        case .secret(let secret):
            secret.withUnsafeBytes { if $0.count > 0 { sink($0) } }
        case .jsonEscapedSecret(let secret):
            secret.withUnsafeBytes { bytes in
                var start = 0
                for index in 0..<bytes.count {
                    guard let escape = JSONString.escape(bytes[index]) else { continue }
                    if index > start { sink(UnsafeRawBufferPointer(rebasing: bytes[start..<index])) }
                    Array(escape.utf8).withUnsafeBytes(sink)
                    start = index + 1
                }
                if bytes.count > start { sink(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count])) }
            }
        }
    }
}

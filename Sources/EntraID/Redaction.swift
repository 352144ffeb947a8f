import CryptoPrimitives

/// Defence in depth for messages built from a service's answer: should a service ever echo a
/// secret back, it is cut out before the text reaches an error.
enum Redaction {
    /// `text` with every occurrence of `secret` replaced by `[redacted]`.
    static func scrub(_ text: String, removing secret: SecureBytes) -> String {
        guard secret.count >= 4 else { return text }
        var bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var found = false
        secret.withUnsafeBytes { needle in
            var index = 0
            while index < bytes.count {
                if index + needle.count <= bytes.count, bytes[index..<index + needle.count].elementsEqual(needle) {
                    result.append(contentsOf: "[redacted]".utf8)
                    index += needle.count
                    found = true
                } else {
                    result.append(bytes[index])
                    index += 1
                }
            }
        }
        Cleanse.wipe(&bytes)
        return found ? String(decoding: result, as: UTF8.self) : text
    }
}

/// The outer shape every key and certificate this package reads has: one DER `SEQUENCE`.
///
/// OpenSSL 3.0 builds a decoder context for every private key it reads, whatever the bytes,
/// which costs far more than the key itself. Bytes that cannot be a `SEQUENCE` with a definite
/// length inside them are refused before OpenSSL sees them; OpenSSL still reads everything that
/// passes, so this only decides sooner what it would have refused.
enum DERSequence {
    /// Whether `bytes` open with a `SEQUENCE` tag and a definite length (short or long form, at
    /// most four length bytes) whose contents end within `bytes`.
    static func opens(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2, bytes[0] == 0x30 else { return false }
        let first = Int(bytes[1])
        if first < 0x80 { return 2 + first <= bytes.count }
        // 0x80 is BER's indefinite length, which DER forbids; more than four length bytes
        // would describe more than this package ever reads.
        let lengthBytes = first & 0x7F
        guard (1...4).contains(lengthBytes), bytes.count >= 2 + lengthBytes else { return false }
        var length = 0
        for index in 0..<lengthBytes { length = length << 8 | Int(bytes[2 + index]) }
        return 2 + lengthBytes + length <= bytes.count
    }
}

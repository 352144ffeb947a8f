import Foundation

/// A gzip member whose single deflate block inflates about 1,032 times: the most deflate allows.
///
/// Built by hand, since Foundation on Linux has no zlib API: one dynamic-Huffman block whose
/// literal/length code gives the length-258 symbol a 1-bit code and whose distance code has a
/// single 1-bit entry, so after one literal zero each further `00` bit pair means "copy 258 bytes
/// from 1 byte back". The body of the block is therefore nothing but zero bytes (4 copies each).
/// The trailer's CRC is not the data's: no client is meant to get that far.
public enum GzipBomb {
    /// Waits, up to `limit`, until a request of this process reaches a loopback server again;
    /// returns how long that took.
    ///
    /// Under URLSession, a client that refused a gzip bomb at its headers did not stop libcurl:
    /// it inflated what the bomb had put in the socket's buffer, after the cancel, on the queue
    /// every URLSession of the process shares, and until it was done (20–30 s) no other request
    /// of the process started. HTTPTransport now calls libcurl itself and inflates nothing, so a
    /// test that sent a bomb calls this afterwards and expects the wait to be short.
    ///
    /// - Parameter request: makes one request to the URL of a fresh probe server, with a short
    ///   deadline, and ignores how it ends; it is called until the probe sees a request.
    @discardableResult
    public static func waitOutAftermath(limit: Duration = .seconds(60), _ request: (URL) async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        let started = clock.now
        while clock.now - started < limit {
            let probe = HostileServer(mode: .redirect)
            let url = try probe.start()
            defer { probe.stop() }
            try await request(url)
            if !probe.requests.isEmpty { break }
        }
        return clock.now - started
    }

    /// The gzip header, the block header and the first literal, padded to a byte boundary with
    /// copies (the padding is zero bits, i.e. more copies).
    static let head: [UInt8] = {
        var writer = BitWriter()
        // gzip: magic, deflate, no flags, no time, no extra flags, unknown OS.
        let gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
        writer.bits(1, count: 1)  // BFINAL
        writer.bits(2, count: 2)  // dynamic Huffman
        writer.bits(286 - 257, count: 5)  // HLIT: literal/length codes up to 285
        writer.bits(0, count: 5)  // HDIST: one distance code
        writer.bits(19 - 4, count: 4)  // HCLEN: all 19 code-length codes (keeps the bit count even)
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        let codeLengthLengths = [18: 1, 1: 2, 2: 2]
        for symbol in order { writer.bits(codeLengthLengths[symbol] ?? 0, count: 3) }
        // Canonical codes of the code-length alphabet: 18 → 0, 1 → 10, 2 → 11.
        func lengthSymbol(_ symbol: Int) {
            switch symbol {
            case 18: writer.code(0b0, count: 1)
            case 1: writer.code(0b10, count: 2)
            default: writer.code(0b11, count: 2)
            }
        }
        func zeros(_ run: Int) {
            lengthSymbol(18)
            writer.bits(run - 11, count: 7)
        }
        // Literal/length lengths: 0 → 2, 1…255 → 0, 256 → 2, 257…284 → 0, 285 → 1; distance 0 → 1.
        lengthSymbol(2); zeros(138); zeros(117); lengthSymbol(2); zeros(28); lengthSymbol(1)
        lengthSymbol(1)
        // Canonical literal/length codes: 285 → 0, 0 → 10, 256 → 11. One literal zero byte.
        writer.code(0b10, count: 2)
        precondition(writer.bitCount % 2 == 0, "the copies must stay in step with the byte boundary")
        return gzip + writer.flushed()
    }()

    /// End of block (`11`), padding, then a trailer (CRC32 and size; neither is checked before the end).
    static let tail: [UInt8] = [0b0000_0011, 0, 0, 0, 0, 0, 0, 0, 0]

    private struct BitWriter {
        private var bytes: [UInt8] = []
        private var accumulator: UInt8 = 0
        private var used = 0
        private(set) var bitCount = 0

        /// `count` bits of `value`, least significant first (header fields, extra bits).
        mutating func bits(_ value: Int, count: Int) {
            for index in 0..<count { push((value >> index) & 1) }
        }

        /// A Huffman code of `count` bits, most significant first.
        mutating func code(_ value: Int, count: Int) {
            for index in stride(from: count - 1, through: 0, by: -1) { push((value >> index) & 1) }
        }

        private mutating func push(_ bit: Int) {
            accumulator |= UInt8(bit) << used
            used += 1
            bitCount += 1
            if used == 8 {
                bytes.append(accumulator)
                accumulator = 0
                used = 0
            }
        }

        /// The bytes written, the last one padded with zero bits.
        func flushed() -> [UInt8] {
            used > 0 ? bytes + [accumulator] : bytes
        }
    }
}

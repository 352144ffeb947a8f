import CryptoPrimitives

/// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, each with a nonce made of an
/// 11-byte big-endian chunk counter and a final-chunk flag.
///
/// Both directions look one byte ahead to learn whether the current chunk is the last, so a
/// file of any size passes through a buffer of one chunk.
enum PayloadStream {
    /// Plaintext bytes per chunk.
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let sealedChunkSize = chunkSize + tagSize
    /// Size of the random nonce that precedes the payload and salts its key.
    static let nonceSize = 16

    /// The payload key for `fileKey` and the file's nonce.
    static func key(fileKey: FileKey, nonce: [UInt8]) throws -> SecureBytes {
        try fileKey.derive(salt: nonce, label: "payload")
    }

    /// Encrypts everything `source` yields into `sink`.
    static func encrypt<Source: ByteSource, Sink: ByteSink>(
        from reader: inout BufferedReader<Source>, to sink: inout Sink, key: SecureBytes
    ) throws {
        let cipher = try AEADContext(algorithm: .chaCha20Poly1305, key: key)
        // One chunk, its tag, and the byte read ahead (which shares space with the tag).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedChunkSize, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        defer {
            Cleanse.wipe(buffer)
            buffer.deallocate()
        }
        var nonce = ChunkNonce()
        var filled = 0
        while true {
            filled += try reader.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(chunkSize + 1)]))
            let isLast = filled <= chunkSize
            let plaintextCount = isLast ? filled : chunkSize
            let lookahead = isLast ? 0 : buffer[chunkSize]
            let sealedCount = try nonce.withBytes(isLast: isLast) { nonce in
                try cipher.sealInPlace(buffer, plaintextCount: plaintextCount, nonce: nonce)
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<sealedCount]))
            if isLast { return }
            buffer[0] = lookahead
            filled = 1
            try nonce.advance()
        }
    }

    /// Verifies and decrypts the payload from `reader` into `sink`, chunk by chunk.
    ///
    /// Each chunk is authenticated before any of its plaintext reaches `sink`. A failure part-way
    /// leaves the earlier, authentic chunks written: callers that need all-or-nothing write to a
    /// temporary place and keep it only on success.
    static func decrypt<Source: ByteSource, Sink: ByteSink>(
        from reader: inout BufferedReader<Source>, to sink: inout Sink, key: SecureBytes
    ) throws {
        let cipher = try AEADContext(algorithm: .chaCha20Poly1305, key: key)
        let capacity = sealedChunkSize + 1
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        defer {
            Cleanse.wipe(buffer)
            buffer.deallocate()
        }
        var nonce = ChunkNonce()
        var filled = 0
        var chunkIndex = 0
        while true {
            filled += try reader.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<capacity]))
            let isLast = filled <= sealedChunkSize
            let sealedCount = isLast ? filled : sealedChunkSize
            if sealedCount == 0 {
                throw AgeError.damagedPayload(reason: "the payload is empty (not even a final chunk)")
            }
            guard sealedCount >= tagSize else {
                throw AgeError.damagedPayload(reason: "chunk \(chunkIndex) is shorter than its authentication tag")
            }
            let lookahead = isLast ? 0 : buffer[sealedChunkSize]
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<sealedCount])
            let plaintextCount: Int
            do {
                plaintextCount = try nonce.withBytes(isLast: isLast) { nonce in
                    try cipher.openInPlace(chunk, nonce: nonce)
                }
            } catch CryptoError.authenticationFailed {
                throw AgeError.damagedPayload(
                    reason: isLast
                        ? "chunk \(chunkIndex) failed authentication (altered, truncated, or followed by extra data)"
                        : "chunk \(chunkIndex) failed authentication")
            }
            if isLast && plaintextCount == 0 && chunkIndex > 0 {
                throw AgeError.damagedPayload(reason: "the final chunk is empty, which only an empty payload may have")
            }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<plaintextCount]))
            if isLast { return }
            buffer[0] = lookahead
            filled = 1
            chunkIndex += 1
            try nonce.advance()
        }
    }
}

/// The 12-byte STREAM nonce: an 11-byte big-endian counter and a final-chunk flag byte.
struct ChunkNonce {
    private var bytes = [UInt8](repeating: 0, count: 12)

    mutating func advance() throws {
        var index = 10
        while index >= 0 {
            bytes[index] &+= 1
            if bytes[index] != 0 { return }
            index -= 1
        }
        throw AgeError.damagedPayload(reason: "too many chunks")
    }

    mutating func withBytes<Result>(isLast: Bool, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        bytes[11] = isLast ? 1 : 0
        return try bytes.withUnsafeBytes(body)
    }
}

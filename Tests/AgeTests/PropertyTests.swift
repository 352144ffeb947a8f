import Age
import CryptoPrimitives
import Testing

/// Properties over generated inputs: sizes around the 64 KiB chunk boundary round-trip, and no
/// single flipped bit anywhere in a file goes unnoticed.
@Suite("properties")
struct PropertyTests {
    static let chunk = 64 * 1024

    /// Sizes at and around every boundary that matters for STREAM's final-chunk rules.
    static let boundarySizes: [Int] = [0, 1, 15, 16, 17] + [1, 2, 3].flatMap { multiple in
        [-17, -16, -1, 0, 1, 16, 17].map { multiple * chunk + $0 }
    }

    @Test("payloads at chunk boundaries round-trip", arguments: boundarySizes)
    func boundaryRoundTrip(size: Int) throws {
        var generator = SeededGenerator(seed: UInt64(size))
        try assertRoundTrip(generator.bytes(count: size))
    }

    @Test("random payload sizes round-trip")
    func randomRoundTrip() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<24 {
            // Mostly near a boundary, sometimes anywhere up to four chunks.
            let size = Bool.random(using: &generator)
                ? Int.random(in: 0...4, using: &generator) * Self.chunk + Int.random(in: -32...32, using: &generator)
                : Int.random(in: 0...(4 * Self.chunk), using: &generator)
            try assertRoundTrip(generator.bytes(count: max(0, size)), seed: seed)
        }
    }

    @Test("ciphertext size is header + 16-byte nonce + one 16-byte tag per chunk")
    func ciphertextSize() throws {
        let identity = try X25519Identity.generate()
        for size in [0, 1, Self.chunk, Self.chunk + 1, 3 * Self.chunk] {
            let file = try AgeFile.encrypt([UInt8](repeating: 7, count: size), to: [identity.recipient])
            let headerEnd = try #require(Self.headerLength(of: file))
            let chunks = max(1, (size + Self.chunk - 1) / Self.chunk)
            #expect(file.count == headerEnd + 16 + size + 16 * chunks, "size \(size)")
        }
    }

    @Test("every single-bit flip in a small file makes decryption fail")
    func everyBitFlipDetected() throws {
        let identity = try X25519Identity.generate()
        let file = try AgeFile.encrypt(Array("client secret value".utf8), to: [identity.recipient])
        for bit in 0..<(file.count * 8) {
            var altered = file
            altered[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: AgeError.self, "bit \(bit) of \(file.count * 8)") {
                try AgeFile.decrypt(altered, identities: [identity])
            }
        }
    }

    @Test("random single-bit flips in a multi-chunk, multi-recipient file make decryption fail")
    func sampledBitFlipsDetected() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        let identities = try (0..<3).map { _ in try X25519Identity.generate() }
        let file = try AgeFile.encrypt(generator.bytes(count: 2 * Self.chunk + 100), to: identities.map(\.recipient))
        let headerEnd = try #require(Self.headerLength(of: file))
        // Half the flips land in the header and nonce, where they are rarest by size.
        for round in 0..<200 {
            let limit = round.isMultiple(of: 2) ? headerEnd + 16 : file.count
            let bit = Int.random(in: 0..<(limit * 8), using: &generator)
            var altered = file
            altered[bit / 8] ^= 1 << UInt8(bit % 8)
            let reader = identities[round % identities.count]
            #expect(throws: AgeError.self, "seed \(seed), bit \(bit)") {
                try AgeFile.decrypt(altered, identities: [reader])
            }
        }
    }

    @Test("truncating a file anywhere makes decryption fail")
    func truncationDetected() throws {
        let identity = try X25519Identity.generate()
        let file = try AgeFile.encrypt([UInt8](repeating: 1, count: Self.chunk + 10), to: [identity.recipient])
        let headerEnd = try #require(Self.headerLength(of: file))
        let cuts = Array(0..<(headerEnd + 20)) + [file.count - Self.chunk - 1, file.count - 27, file.count - 1]
        for length in cuts {
            #expect(throws: AgeError.self, "cut at \(length)") {
                try AgeFile.decrypt(Array(file.prefix(length)), identities: [identity])
            }
        }
    }

    private func assertRoundTrip(_ plaintext: [UInt8], seed: UInt64? = nil) throws {
        let identity = try X25519Identity.generate()
        let file = try AgeFile.encrypt(plaintext, to: [identity.recipient])
        let decrypted = try AgeFile.decrypt(file, identities: [identity])
        #expect(decrypted.withUnsafeBytes { Array($0) } == plaintext, "size \(plaintext.count), seed \(seed.map(String.init) ?? "fixed")")
        // The streaming interface must agree with the in-memory one.
        var sink = ByteArraySink()
        try AgeFile.decrypt(from: ByteArraySource(file), to: &sink, identities: [identity])
        #expect(sink.bytes == plaintext)
    }

    /// Length of the header through its final newline.
    static func headerLength(of file: [UInt8]) -> Int? {
        let marker = Array("\n--- ".utf8)
        guard let start = (0...(file.count - marker.count)).first(where: { file[$0..<$0 + marker.count].elementsEqual(marker) }),
              let newline = file[(start + 1)...].firstIndex(of: UInt8(ascii: "\n"))
        else { return nil }
        return newline + 1
    }
}

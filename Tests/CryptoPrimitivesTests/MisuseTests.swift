import CryptoPrimitives
import Testing

/// What the primitives refuse: tampering, wrong sizes, and scrypt beyond its memory limit.
@Suite("misuse and tampering")
struct MisuseTests {
    @Test("AEAD open fails on any change to ciphertext, tag, nonce or associated data", arguments: [AEADAlgorithm.chaCha20Poly1305, .aes256GCM])
    func aeadTampering(_ algorithm: AEADAlgorithm) throws {
        let key = try SecureBytes.random(count: 32)
        let nonce = try SecureRandom.bytes(count: 12)
        let sealed = try algorithm.seal(Array("client secret".utf8), key: key, nonce: nonce, authenticating: [1, 2, 3])
        for index in sealed.indices {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) {
                try algorithm.open(altered, key: key, nonce: nonce, authenticating: [1, 2, 3])
            }
        }
        var otherNonce = nonce
        otherNonce[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try algorithm.open(sealed, key: key, nonce: otherNonce, authenticating: [1, 2, 3]) }
        #expect(throws: CryptoError.authenticationFailed) { try algorithm.open(sealed, key: key, nonce: nonce, authenticating: [1, 2, 4]) }
        #expect(throws: CryptoError.authenticationFailed) { try algorithm.open(sealed, key: SecureBytes.random(count: 32), nonce: nonce, authenticating: [1, 2, 3]) }
        #expect(throws: CryptoError.authenticationFailed) { try algorithm.open(Array(sealed.prefix(15)), key: key, nonce: nonce) }
    }

    @Test("a context reused across messages and directions stays correct")
    func contextReuse() throws {
        let key = try SecureBytes.random(count: 32)
        let context = try AEADContext(algorithm: .chaCha20Poly1305, key: key)
        for round in 0..<4 {
            let nonce = [UInt8](repeating: UInt8(round), count: 12)
            let message = [UInt8](repeating: UInt8(round), count: round * 1000)
            let sealed = try context.seal(message, nonce: nonce)
            #expect(try AEADAlgorithm.chaCha20Poly1305.seal(message, key: key, nonce: nonce) == sealed)
            #expect(try context.open(sealed, nonce: nonce).withUnsafeBytes { Array($0) } == message)
        }
    }

    @Test("wrong key and nonce sizes are refused")
    func sizes() throws {
        #expect(throws: CryptoError.invalidLength(what: "ChaCha20-Poly1305 key", expected: 32, actual: 16)) {
            try AEADContext(algorithm: .chaCha20Poly1305, key: SecureBytes.random(count: 16))
        }
        #expect(throws: CryptoError.invalidLength(what: "AES-256-GCM nonce", expected: 12, actual: 8)) {
            try AEADAlgorithm.aes256GCM.seal([1], key: SecureBytes.random(count: 32), nonce: [UInt8](repeating: 0, count: 8))
        }
        #expect(throws: CryptoError.invalidLength(what: "X25519 public key", expected: 32, actual: 31)) {
            try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 9, count: 31))
        }
    }

    @Test("scrypt refuses parameters above its memory limit before doing any work")
    func scryptMemoryLimit() throws {
        let needed = Scrypt.memoryRequired(logN: 20, r: 8, p: 1)
        #expect(needed == 128 * 8 + 128 * 8 * ((1 << 20) + 2))
        #expect(throws: CryptoError.scryptMemoryLimitExceeded(needed: needed, limit: needed - 1)) {
            try Scrypt.deriveKey(passphrase: SecureBytes(copying: [1]), salt: [2], logN: 20, outputCount: 32, memoryLimit: needed - 1)
        }
    }

    @Test("random bytes differ between calls and constant-time comparison is exact")
    func randomAndCompare() throws {
        let a = try SecureBytes.random(count: 32)
        let b = try SecureBytes.random(count: 32)
        #expect(!a.constantTimeEquals(b))
        #expect(a.constantTimeEquals(SecureBytes(copying: a.withUnsafeBytes { Array($0) })))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test("scrypt parameters whose memory does not fit in 64 bits are refused, not a crash")
    func scryptOverflow() throws {
        #expect(Scrypt.memoryRequired(logN: 60, r: 8, p: 1) == .max)
        #expect(Scrypt.memoryRequired(logN: 20, r: .max, p: 1) == .max)
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(passphrase: SecureBytes(copying: [1]), salt: [2], logN: 60, outputCount: 32, memoryLimit: .max)
        }
    }

    @Test("a failed open wipes the unauthenticated plaintext it produced in place")
    func failedOpenWipes() throws {
        let key = try SecureBytes.random(count: 32)
        let nonce = [UInt8](repeating: 3, count: 12)
        let context = try AEADContext(algorithm: .chaCha20Poly1305, key: key)
        var sealed = try context.seal([UInt8](repeating: 0xAA, count: 64), nonce: nonce)
        sealed[sealed.count - 1] ^= 1
        sealed.withUnsafeMutableBytes { buffer in
            nonce.withUnsafeBytes { nonce in
                _ = #expect(throws: CryptoError.authenticationFailed) { try context.openInPlace(buffer, nonce: nonce) }
            }
            #expect(buffer[0..<64].allSatisfy { $0 == 0 })
        }
    }
}

import CryptoPrimitives
import Testing

/// Published test vectors (RFC 7748, 8439, 5869, 4231, 7914) run through the OpenSSL layer.
@Suite("known answers")
struct KnownAnswerTests {
    @Test("X25519 (RFC 7748 §6.1)")
    func x25519() throws {
        let alice = try X25519.PrivateKey(rawRepresentation: SecureBytes(copying: Hex.bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
        let bob = try X25519.PrivateKey(rawRepresentation: SecureBytes(copying: Hex.bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")))
        #expect(Hex.string(try alice.publicKey().rawRepresentation) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(Hex.string(try bob.publicKey().rawRepresentation) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = try alice.sharedSecret(with: bob.publicKey())
        #expect(shared.withUnsafeBytes { Hex.string($0) } == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(try bob.sharedSecret(with: alice.publicKey()).constantTimeEquals(shared))
    }

    @Test("X25519 refuses low-order points")
    func x25519LowOrder() throws {
        let key = try X25519.PrivateKey.generate()
        // The zero point and the point of order 8 from RFC 7748's list of low-order points.
        for point in ["0000000000000000000000000000000000000000000000000000000000000000",
                      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"] {
            #expect(throws: CryptoError.lowOrderPoint) {
                try key.sharedSecret(with: X25519.PublicKey(rawRepresentation: Hex.bytes(point)))
            }
        }
    }

    @Test("ChaCha20-Poly1305 (RFC 8439 §2.8.2)")
    func chaCha20Poly1305() throws {
        let key = SecureBytes(copying: Array(0x80...0x9f) as [UInt8])
        let nonce = Hex.bytes("070000004041424344454647")
        let aad = Hex.bytes("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let expected = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691"
        let sealed = try AEADAlgorithm.chaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        #expect(Hex.string(sealed) == expected)
        let opened = try AEADAlgorithm.chaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: aad)
        #expect(opened.withUnsafeBytes { Array($0) } == plaintext)
    }

    @Test("AES-256-GCM (value computed independently with pyca/cryptography)")
    func aes256GCM() throws {
        let key = SecureBytes(copying: Array(0..<32) as [UInt8])
        let nonce = Array(0..<12) as [UInt8]
        let sealed = try AEADAlgorithm.aes256GCM.seal(Array("secrets vault row".utf8), key: key, nonce: nonce, authenticating: Array("vault/table/1".utf8))
        #expect(Hex.string(sealed) == "3467b569a091b13bfb20e2e7c5c90a02f4337521639b599e92722c81c8c5447650")
    }

    @Test("HKDF-SHA-256 (RFC 5869 test case 1)")
    func hkdf() throws {
        let output = try HKDF.sha256(
            inputKeyMaterial: SecureBytes(copying: [UInt8](repeating: 0x0b, count: 22)),
            salt: Array(0x00...0x0c) as [UInt8], info: Array(0xf0...0xf9) as [UInt8], outputCount: 42)
        #expect(output.withUnsafeBytes { Hex.string($0) } == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test("HMAC-SHA-256 (RFC 4231 test case 2)")
    func hmac() throws {
        let tag = try HMAC.sha256(key: SecureBytes(copying: Array("Jefe".utf8)), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.string(tag) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(try HMAC.isValidSHA256(tag, key: SecureBytes(copying: Array("Jefe".utf8)), message: Array("what do ya want for nothing?".utf8)))
        #expect(try !HMAC.isValidSHA256(tag, key: SecureBytes(copying: Array("Jeff".utf8)), message: Array("what do ya want for nothing?".utf8)))
    }

    @Test("scrypt (RFC 7914 §12, N=1024 r=8 p=16)")
    func scrypt() throws {
        let key = try Scrypt.deriveKey(
            passphrase: SecureBytes(copying: Array("password".utf8)), salt: Array("NaCl".utf8),
            logN: 10, r: 8, p: 16, outputCount: 64, memoryLimit: 64 * 1024 * 1024)
        #expect(key.withUnsafeBytes { Hex.string($0) } == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test("SHA-256 (FIPS 180-2 \"abc\")")
    func sha256() throws {
        #expect(Hex.string(try SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

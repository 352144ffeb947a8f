import CryptoPrimitives
import Testing

/// RFC 8032 §7.1's vectors, and what a verifier must refuse.
@Suite("Ed25519")
struct Ed25519Tests {
    @Test("RFC 8032 §7.1 tests 1 and 2", arguments: [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ])
    func knownAnswers(seed: String, publicKey: String, message: String, signature: String) throws {
        let key = try Ed25519.SigningKey(seed: SecureBytes(copying: Hex.bytes(seed)))
        let derived = try key.publicKey()
        #expect(Hex.string(derived.rawRepresentation) == publicKey)
        #expect(Hex.string(try key.signature(for: Hex.bytes(message))) == signature)
        #expect(derived.isValidSignature(Hex.bytes(signature), for: Hex.bytes(message)))
    }

    @Test("a changed message, signature or key does not verify")
    func refusals() throws {
        let key = try Ed25519.SigningKey(seed: .random(count: 32))
        let other = try Ed25519.SigningKey(seed: .random(count: 32)).publicKey()
        let message = Array("digest".utf8)
        var signature = try key.signature(for: message)
        #expect(try key.publicKey().isValidSignature(signature, for: message))
        #expect(!(try key.publicKey().isValidSignature(signature, for: Array("digesT".utf8))))
        #expect(!other.isValidSignature(signature, for: message))
        #expect(!(try key.publicKey().isValidSignature(Array(signature.prefix(63)), for: message)))
        signature[10] ^= 1
        #expect(!(try key.publicKey().isValidSignature(signature, for: message)))
    }
}

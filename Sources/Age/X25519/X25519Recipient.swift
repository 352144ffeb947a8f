import CryptoPrimitives

/// An age X25519 recipient: a public key written `age1…`.
public struct X25519Recipient: AgeRecipient, Hashable, CustomStringConvertible {
    static let stanzaType = "X25519"
    static let hrp = "age"
    static let wrapLabel = Array("age-encryption.org/v1/X25519".utf8)

    /// The public key.
    public let publicKey: X25519.PublicKey

    /// Wraps a public key.
    public init(publicKey: X25519.PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses an `age1…` recipient string.
    public init(_ string: String) throws {
        let decoded = Array(string.utf8).withUnsafeBytes { Bech32.decode($0) }
        guard let (hrp, data) = decoded else {
            throw AgeError.invalidRecipient(reason: "not valid Bech32 (expected age1…)")
        }
        guard hrp == X25519Recipient.hrp else {
            throw AgeError.invalidRecipient(reason: "wrong prefix (expected age1…)")
        }
        guard data.count == X25519.keyCount else {
            throw AgeError.invalidRecipient(reason: "an X25519 recipient holds 32 bytes, this one \(data.count)")
        }
        publicKey = try data.withUnsafeBytes { try X25519.PublicKey(rawRepresentation: Array($0)) }
    }

    /// The `age1…` form.
    public var description: String {
        let encoded = publicKey.rawRepresentation.withUnsafeBytes {
            Bech32.encode(hrp: X25519Recipient.hrp, data: $0, uppercase: false)
        }
        return encoded.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let ephemeral = try X25519.PrivateKey.generate()
        let share = try ephemeral.publicKey().rawRepresentation
        let sharedSecret = try ephemeral.sharedSecret(with: publicKey)
        let wrapKey = try HKDF.sha256(
            inputKeyMaterial: sharedSecret, salt: share + publicKey.rawRepresentation,
            info: X25519Recipient.wrapLabel, outputCount: 32)
        let body = try AEADAlgorithm.chaCha20Poly1305.seal(fileKey.bytes, key: wrapKey, nonce: zeroNonce)
        return [Stanza(type: X25519Recipient.stanzaType, arguments: [Base64.encodeString(share)], body: body)]
    }
}

/// Stanza bodies are encrypted once per key, so age uses the all-zero nonce.
let zeroNonce = [UInt8](repeating: 0, count: 12)

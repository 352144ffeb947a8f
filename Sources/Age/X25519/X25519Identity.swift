import CryptoPrimitives

/// An age X25519 identity: a private key written `AGE-SECRET-KEY-1…`.
public struct X25519Identity: AgeIdentity {
    static let hrp = "AGE-SECRET-KEY-"

    /// The private key.
    public let privateKey: X25519.PrivateKey
    /// The matching recipient, to encrypt to this identity.
    public let recipient: X25519Recipient

    /// Wraps a private key.
    public init(privateKey: X25519.PrivateKey) throws {
        self.privateKey = privateKey
        self.recipient = X25519Recipient(publicKey: try privateKey.publicKey())
    }

    /// A new random identity.
    public static func generate() throws -> X25519Identity {
        try X25519Identity(privateKey: .generate())
    }

    /// Parses the ASCII bytes of an `AGE-SECRET-KEY-1…` string.
    ///
    /// Prefer this to ``init(_:)`` for keys read from files: bytes can be wiped, a `String` cannot.
    public init(encoded: UnsafeRawBufferPointer) throws {
        try self.init(privateKey: Self.parsePrivateKey(encoded))
    }

    /// Parses an `AGE-SECRET-KEY-1…` string.
    public init(_ string: String) throws {
        var bytes = Array(string.utf8)
        defer { Cleanse.wipe(&bytes) }
        try self.init(privateKey: bytes.withUnsafeBytes { try Self.parsePrivateKey($0) })
    }

    private static func parsePrivateKey(_ encoded: UnsafeRawBufferPointer) throws -> X25519.PrivateKey {
        guard let (hrp, data) = Bech32.decode(encoded) else {
            throw AgeError.invalidIdentity(reason: "not valid Bech32 (expected AGE-SECRET-KEY-1…)")
        }
        guard hrp == X25519Identity.hrp else {
            throw AgeError.invalidIdentity(reason: "wrong prefix (expected AGE-SECRET-KEY-1…, upper case)")
        }
        guard data.count == X25519.keyCount else {
            throw AgeError.invalidIdentity(reason: "an X25519 identity holds 32 bytes, this one \(data.count)")
        }
        return try X25519.PrivateKey(rawRepresentation: data)
    }

    /// The `AGE-SECRET-KEY-1…` form, as ASCII bytes in wiped storage.
    public func encoded() -> SecureBytes {
        privateKey.rawRepresentation.withUnsafeBytes {
            Bech32.encode(hrp: X25519Identity.hrp, data: $0, uppercase: true)
        }
    }

    public func unwrap(_ stanza: Stanza) throws -> FileKey? {
        guard stanza.type == X25519Recipient.stanzaType else { return nil }
        guard stanza.arguments.count == 1 else {
            throw AgeError.malformedHeader(reason: "an X25519 stanza has exactly one argument")
        }
        guard let share = Base64.decode(stanza.arguments[0]), share.count == X25519.keyCount else {
            throw AgeError.malformedHeader(reason: "the X25519 share is not 32 bytes of canonical base64")
        }
        guard stanza.body.count == FileKey.count + 16 else {
            throw AgeError.malformedHeader(reason: "the X25519 stanza body is not a wrapped 16-byte file key")
        }
        let sharedSecret: SecureBytes
        do {
            sharedSecret = try privateKey.sharedSecret(with: X25519.PublicKey(rawRepresentation: share))
        } catch CryptoError.lowOrderPoint {
            throw AgeError.malformedHeader(reason: "the X25519 share is a low-order point")
        }
        let wrapKey = try HKDF.sha256(
            inputKeyMaterial: sharedSecret, salt: share + recipient.publicKey.rawRepresentation,
            info: X25519Recipient.wrapLabel, outputCount: 32)
        do {
            return try FileKey(AEADAlgorithm.chaCha20Poly1305.open(stanza.body, key: wrapKey, nonce: zeroNonce))
        } catch CryptoError.authenticationFailed {
            return nil
        }
    }
}

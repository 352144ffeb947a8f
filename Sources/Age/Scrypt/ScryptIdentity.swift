import CryptoPrimitives

/// A passphrase as an age identity: opens files written for a ``ScryptRecipient``.
public struct ScryptIdentity: AgeIdentity {
    /// The highest work factor accepted by default, as in the reference implementation: 2^22
    /// iterations need 4 GiB of memory and several seconds.
    public static let defaultMaximumWorkFactor = 22
    /// The range a reader's ceiling may be set in (as in the reference implementation).
    public static let allowedMaximumWorkFactors = 1...30

    private let passphrase: SecureBytes
    /// Files asking for a higher work factor are refused before any work is done.
    public let maximumWorkFactor: Int

    /// An identity for `passphrase` (UTF-8 bytes).
    ///
    /// - Parameter maximumWorkFactor: files asking for more are refused; must lie in
    ///   ``allowedMaximumWorkFactors`` (a programming error otherwise).
    public init(passphrase: SecureBytes, maximumWorkFactor: Int = ScryptIdentity.defaultMaximumWorkFactor) {
        precondition(
            Self.allowedMaximumWorkFactors.contains(maximumWorkFactor),
            "scrypt maximum work factor must be in \(Self.allowedMaximumWorkFactors)")
        self.passphrase = passphrase
        self.maximumWorkFactor = maximumWorkFactor
    }

    public func unwrap(_ stanza: Stanza) throws -> FileKey? {
        guard stanza.type == ScryptRecipient.stanzaType else { return nil }
        guard stanza.arguments.count == 2 else {
            throw AgeError.malformedHeader(reason: "an scrypt stanza has exactly two arguments")
        }
        guard let salt = Base64.decode(stanza.arguments[0]), salt.count == ScryptRecipient.saltCount else {
            throw AgeError.malformedHeader(reason: "the scrypt salt is not 16 bytes of canonical base64")
        }
        let workFactor = try Self.parseWorkFactor(stanza.arguments[1])
        guard workFactor <= maximumWorkFactor else {
            throw AgeError.workFactorTooHigh(logN: workFactor, limit: maximumWorkFactor)
        }
        guard stanza.body.count == FileKey.count + 16 else {
            throw AgeError.malformedHeader(reason: "the scrypt stanza body is not a wrapped 16-byte file key")
        }
        let wrapKey = try ScryptRecipient.wrapKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        do {
            return try FileKey(AEADAlgorithm.chaCha20Poly1305.open(stanza.body, key: wrapKey, nonce: zeroNonce))
        } catch CryptoError.authenticationFailed {
            return nil
        }
    }

    /// A decimal without sign or leading zeros, from 1 up: the only spelling age accepts.
    static func parseWorkFactor(_ text: String) throws -> Int {
        let digits = Array(text.utf8)
        guard let first = digits.first, first != UInt8(ascii: "0"),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw AgeError.malformedHeader(reason: "the scrypt work factor is not a decimal number without sign or leading zeros")
        }
        guard let value = Int(text) else {
            throw AgeError.malformedHeader(reason: "the scrypt work factor is out of range")
        }
        return value
    }
}

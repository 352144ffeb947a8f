import CryptoPrimitives

/// A passphrase as an age recipient: the file key is wrapped under a key derived with scrypt.
public struct ScryptRecipient: AgeRecipient {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    static let saltCount = 16
    /// The work factor the stock `age` tool uses (about a second on a current machine).
    public static let defaultWorkFactor = 18

    private let passphrase: SecureBytes
    /// log₂ of scrypt's N.
    public let workFactor: Int

    /// A recipient for `passphrase` (UTF-8 bytes) with N = 2^`workFactor`.
    public init(passphrase: SecureBytes, workFactor: Int = ScryptRecipient.defaultWorkFactor) throws {
        guard passphrase.count > 0 else { throw AgeError.invalidRecipient(reason: "the passphrase is empty") }
        guard workFactor >= 1 else {
            throw AgeError.invalidRecipient(reason: "the scrypt work factor must be at least 1")
        }
        // Readers refuse more than this by default, so a file written with more would be unreadable.
        guard workFactor <= ScryptIdentity.defaultMaximumWorkFactor else {
            throw AgeError.workFactorTooHigh(logN: workFactor, limit: ScryptIdentity.defaultMaximumWorkFactor)
        }
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public var mustBeOnlyRecipient: Bool { true }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        let salt = try SecureRandom.bytes(count: ScryptRecipient.saltCount)
        let wrapKey = try ScryptRecipient.wrapKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        let body = try AEADAlgorithm.chaCha20Poly1305.seal(fileKey.bytes, key: wrapKey, nonce: zeroNonce)
        return [Stanza(type: ScryptRecipient.stanzaType, arguments: [Base64.encodeString(salt), String(workFactor)], body: body)]
    }

    static func wrapKey(passphrase: SecureBytes, salt: [UInt8], workFactor: Int) throws -> SecureBytes {
        try Scrypt.deriveKey(
            passphrase: passphrase, salt: saltLabel + salt, logN: workFactor, r: 8, p: 1, outputCount: 32,
            memoryLimit: Scrypt.memoryRequired(logN: workFactor, r: 8, p: 1))
    }
}

import CryptoPrimitives

/// Why reading or writing an age file failed.
///
/// The cases follow the failure classes of the age specification and its test kit, so a caller
/// can tell a wrong key from a damaged file. No case carries key material, passphrases or
/// plaintext; reasons are fixed descriptions, never excerpts of the input.
public enum AgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file starts like an age file of another version.
    case unsupportedVersion
    /// The header breaks the format's rules; `reason` says which.
    case malformedHeader(reason: String)
    /// An ASCII-armored file that is not the strict encoding the specification allows.
    case malformedArmor(reason: String)
    /// The header's MAC does not match: the header was altered after it was written.
    case headerMACMismatch
    /// None of the given identities can open any of the file's recipient stanzas.
    case noMatchingIdentity
    /// The file is passphrase-encrypted and the passphrase given is not the right one.
    case incorrectPassphrase
    /// The payload was cut, extended or altered; `reason` says where.
    case damagedPayload(reason: String)
    /// The scrypt work factor is higher than this reader allows (a hostile file could otherwise
    /// demand minutes of CPU time and gigabytes of memory).
    case workFactorTooHigh(logN: Int, limit: Int)
    /// A recipient string (`age1…`) could not be parsed; `reason` says why.
    case invalidRecipient(reason: String)
    /// An identity (`AGE-SECRET-KEY-1…`) or identity file could not be parsed; `reason` says why.
    case invalidIdentity(reason: String)
    /// The recipients cannot be combined (an scrypt recipient must be alone).
    case invalidRecipientSet(reason: String)
    /// Reading or writing failed; `reason` names the operation and the system error.
    case io(reason: String)
    /// A cryptographic primitive failed unexpectedly.
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .unsupportedVersion:
            return "unsupported age format version (only age-encryption.org/v1 is supported)"
        case .malformedHeader(let reason):
            return "malformed age header: \(reason)"
        case .malformedArmor(let reason):
            return "malformed ASCII armor: \(reason)"
        case .headerMACMismatch:
            return "age header MAC mismatch: the file header was altered"
        case .noMatchingIdentity:
            return "no identity matched any of the file's recipients"
        case .incorrectPassphrase:
            return "incorrect passphrase"
        case .damagedPayload(let reason):
            return "damaged age payload: \(reason)"
        case .workFactorTooHigh(let logN, let limit):
            return "scrypt work factor \(logN) exceeds the limit of \(limit)"
        case .invalidRecipient(let reason):
            return "invalid age recipient: \(reason)"
        case .invalidIdentity(let reason):
            return "invalid age identity: \(reason)"
        case .invalidRecipientSet(let reason):
            return "invalid recipients: \(reason)"
        case .io(let reason):
            return "I/O error: \(reason)"
        case .crypto(let error):
            return "cryptographic failure: \(error)"
        }
    }
}

import COpenSSL

/// What went wrong in a cryptographic primitive.
///
/// Cases name the failing operation; none carries key material or plaintext.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// OpenSSL reported a failure in `operation` (for example `"EVP_DecryptInit_ex"`).
    case openSSLFailure(operation: String)
    /// An AEAD tag did not verify: the key is wrong or the ciphertext was altered.
    case authenticationFailed
    /// An input had the wrong size (`what` names it, for example `"X25519 public key"`).
    case invalidLength(what: String, expected: Int, actual: Int)
    /// X25519 produced the all-zero shared secret: the peer's share is a low-order point.
    case lowOrderPoint
    /// scrypt parameters that would need more memory than the caller allowed.
    case scryptMemoryLimitExceeded(needed: UInt64, limit: UInt64)
    /// scrypt parameters outside what the algorithm accepts.
    case invalidScryptParameters
    /// A private or public key that cannot be read, or is not of the kind asked for (`reason` says which).
    case invalidKey(reason: String)
    /// An RSA key shorter than the minimum this tool accepts.
    case weakKey(bits: Int, minimum: Int)
    /// An X.509 certificate that cannot be read (`reason` says why).
    case invalidCertificate(reason: String)

    public var description: String {
        switch self {
        case .openSSLFailure(let operation):
            return "OpenSSL failed in \(operation)"
        case .authenticationFailed:
            return "authentication failed: wrong key or altered ciphertext"
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .lowOrderPoint:
            return "X25519 share is a low-order point"
        case .scryptMemoryLimitExceeded(let needed, let limit):
            return "scrypt would need \(needed) bytes of memory, more than the limit of \(limit)"
        case .invalidScryptParameters:
            return "invalid scrypt parameters"
        case .invalidKey(let reason):
            return "unusable key: \(reason)"
        case .weakKey(let bits, let minimum):
            return "an RSA key of \(bits) bits is too weak; at least \(minimum) bits are needed"
        case .invalidCertificate(let reason):
            return "unusable certificate: \(reason)"
        }
    }
}

extension CryptoError {
    /// An ``openSSLFailure(operation:)`` for `operation`, after emptying OpenSSL's per-thread
    /// error queue so that a stale entry is never mistaken for the cause of a later failure.
    static func openSSL(_ operation: String) -> CryptoError {
        ERR_clear_error()
        return .openSSLFailure(operation: operation)
    }
}

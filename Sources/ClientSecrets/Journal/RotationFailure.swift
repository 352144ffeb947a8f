/// Why an issuer or a consumer could not do its part of a rotation: a ``code`` to act on and a
/// ``reason`` to show. Reasons never hold a secret.
///
/// A struct with a code, not an enum, so that a new kind of failure does not break the
/// exhaustive switches of programs that embed the library (as swift-certificates does).
public struct RotationFailure: Error, Sendable, Hashable {
    /// What kind of failure it is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: String, Sendable, Hashable {
            case policyRejected = "policy-rejected"
            case authenticationFailed = "authentication-failed"
            case permissionDenied = "permission-denied"
            case notFound = "not-found"
            case unavailable = "unavailable"
            case verificationFailed = "verification-failed"
            case consumerFailed = "consumer-failed"
            case unexpectedResponse = "unexpected-response"
            case invalidAnswer = "invalid-answer"
            case needsPerson = "needs-person"
            case misconfigured = "misconfigured"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code's name, such as `unavailable`.
        public var description: String { backing.rawValue }

        /// The issuer's policy refused the request (Entra ID: the lifetime is longer than an app management policy allows).
        public static let policyRejected = Code(.policyRejected)
        /// The credentials used to reach the issuer's API were refused (a rotator's expired secret).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The caller is authenticated but not allowed (the rotator does not own the app).
        public static let permissionDenied = Code(.permissionDenied)
        /// The issuer does not know the app or the secret.
        public static let notFound = Code(.notFound)
        /// The service could not be reached or kept failing (network, timeouts, 5xx, 429) after the bounded retries.
        public static let unavailable = Code(.unavailable)
        /// The new secret did not work within the time allowed for replication.
        public static let verificationFailed = Code(.verificationFailed)
        /// A consumer's deploy or verification failed (an apply command exited non-zero).
        public static let consumerFailed = Code(.consumerFailed)
        /// The service answered something this program does not understand.
        public static let unexpectedResponse = Code(.unexpectedResponse)
        /// The issuer's answer failed `IssuedSecretCheck` (module `Rotation`): a key id that is not a GUID or that the vault already holds, a value `secret add` would refuse, dates outside the rotation. Nothing of the answer was stored; the secret the issuer may hold is removed by the orphan sweep.
        public static let invalidAnswer = Code(.invalidAnswer)
        /// A person has to act first (confirm a removal in a portal, type a secret).
        public static let needsPerson = Code(.needsPerson)
        /// The app's configuration does not allow the step (no rotator, unknown consumer app).
        public static let misconfigured = Code(.misconfigured)
    }

    /// What kind of failure it is.
    public let code: Code
    /// What happened, quoting the service where it helps; never a secret.
    public let reason: String

    /// A failure of kind `code`.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The issuer's policy refused the request (Entra ID: the lifetime is longer than an app management policy allows).
    public static func policyRejected(_ reason: String) -> RotationFailure { RotationFailure(.policyRejected, reason) }
    /// The credentials used to reach the issuer's API were refused (a rotator's expired secret).
    public static func authenticationFailed(_ reason: String) -> RotationFailure { RotationFailure(.authenticationFailed, reason) }
    /// The caller is authenticated but not allowed (the rotator does not own the app).
    public static func permissionDenied(_ reason: String) -> RotationFailure { RotationFailure(.permissionDenied, reason) }
    /// The issuer does not know the app or the secret.
    public static func notFound(_ reason: String) -> RotationFailure { RotationFailure(.notFound, reason) }
    /// The service could not be reached or kept failing (network, timeouts, 5xx, 429) after the bounded retries.
    public static func unavailable(_ reason: String) -> RotationFailure { RotationFailure(.unavailable, reason) }
    /// The new secret did not work within the time allowed for replication.
    public static func verificationFailed(_ reason: String) -> RotationFailure { RotationFailure(.verificationFailed, reason) }
    /// A consumer's deploy or verification failed (an apply command exited non-zero).
    public static func consumerFailed(_ reason: String) -> RotationFailure { RotationFailure(.consumerFailed, reason) }
    /// The service answered something this program does not understand.
    public static func unexpectedResponse(_ reason: String) -> RotationFailure { RotationFailure(.unexpectedResponse, reason) }
    /// The issuer's answer failed `IssuedSecretCheck` (module `Rotation`): a key id that is not a GUID or that the vault already holds, a value `secret add` would refuse, dates outside the rotation. Nothing of the answer was stored; the secret the issuer may hold is removed by the orphan sweep.
    public static func invalidAnswer(_ reason: String) -> RotationFailure { RotationFailure(.invalidAnswer, reason) }
    /// A person has to act first (confirm a removal in a portal, type a secret).
    public static func needsPerson(_ reason: String) -> RotationFailure { RotationFailure(.needsPerson, reason) }
    /// The app's configuration does not allow the step (no rotator, unknown consumer app).
    public static func misconfigured(_ reason: String) -> RotationFailure { RotationFailure(.misconfigured, reason) }
}

extension RotationFailure: CustomStringConvertible {
    /// One line saying what happened.
    ///
    /// The texts quote servers (a Graph error message, a Jamf Pro error description, a vendor
    /// name), so control characters are escaped here, once for every way a failure is shown or
    /// stored (the rotation journal, `rotate` output, JSON, the diagnostic log).
    public var description: String {
        TerminalText.neutralised(text)
    }

    private var text: String {
        switch code {
        case .policyRejected: return "the issuer's policy rejected the request: \(reason)"
        case .authenticationFailed: return "authentication failed: \(reason)"
        case .permissionDenied: return "permission denied: \(reason)"
        case .notFound: return "not found: \(reason)"
        case .unavailable: return "service unavailable: \(reason)"
        case .verificationFailed: return "verification failed: \(reason)"
        case .consumerFailed: return "consumer failed: \(reason)"
        case .unexpectedResponse: return "unexpected response: \(reason)"
        case .invalidAnswer: return "the issuer's answer was refused: \(reason)"
        case .misconfigured: return "misconfigured: \(reason)"
        default: return reason
        }
    }
}

/// Why an issuer or a consumer could not do its part of a rotation. Messages never hold a secret.
public enum RotationFailure: Error, Sendable, Hashable {
    /// The issuer's policy refused the request (Entra ID: the lifetime is longer than an app
    /// management policy allows).
    case policyRejected(String)
    /// The credentials used to reach the issuer's API were refused (a rotator's expired secret).
    case authenticationFailed(String)
    /// The caller is authenticated but not allowed (the rotator does not own the app).
    case permissionDenied(String)
    /// The issuer does not know the app or the secret.
    case notFound(String)
    /// The service could not be reached or kept failing (network, timeouts, 5xx, 429) after the
    /// bounded retries.
    case unavailable(String)
    /// The new secret did not work within the time allowed for replication.
    case verificationFailed(String)
    /// A consumer's deploy or verification failed (an apply command exited non-zero).
    case consumerFailed(String)
    /// The service answered something this program does not understand.
    case unexpectedResponse(String)
    /// The issuer's answer failed ``IssuedSecretCheck``: a key id that is not a GUID or that the
    /// vault already holds, a value `secret add` would refuse, dates outside the rotation. Nothing
    /// of the answer was stored; the secret the issuer may hold is removed by the orphan sweep.
    case invalidAnswer(String)
    /// A person has to act first (confirm a removal in a portal, type a secret).
    case needsPerson(String)
    /// The app's configuration does not allow the step (no rotator, unknown consumer app).
    case misconfigured(String)
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
        switch self {
        case .policyRejected(let text): return "the issuer's policy rejected the request: \(text)"
        case .authenticationFailed(let text): return "authentication failed: \(text)"
        case .permissionDenied(let text): return "permission denied: \(text)"
        case .notFound(let text): return "not found: \(text)"
        case .unavailable(let text): return "service unavailable: \(text)"
        case .verificationFailed(let text): return "verification failed: \(text)"
        case .consumerFailed(let text): return "consumer failed: \(text)"
        case .unexpectedResponse(let text): return "unexpected response: \(text)"
        case .invalidAnswer(let text): return "the issuer's answer was refused: \(text)"
        case .needsPerson(let text): return text
        case .misconfigured(let text): return "misconfigured: \(text)"
        }
    }
}

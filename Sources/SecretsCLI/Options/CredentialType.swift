import ArgumentParser
import ClientSecrets

/// `--type`: which credentials a listing covers.
enum CredentialType: String, ExpressibleByArgument, CaseIterable {
    case secret, certificate, all

    /// Whether a credential of `kind` is listed.
    func includes(_ kind: CredentialKind) -> Bool {
        self == .all || rawValue == kind.rawValue
    }

    /// What the status line counts.
    var noun: String {
        switch self {
        case .secret: return "secret(s)"
        case .certificate: return "certificate(s)"
        case .all: return "credential(s)"
        }
    }
}

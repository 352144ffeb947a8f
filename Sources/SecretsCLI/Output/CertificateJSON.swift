import ClientSecrets
import Foundation

/// One certificate as `cert show --json` and `cert new --json` print it (see the README's JSON shapes).
struct CertificateJSON: Encodable {
    let keyID: String
    let state: String
    let sha1Thumbprint: String?
    let sha256Thumbprint: String?
    let subject: String?
    let notBefore: Date
    let notAfter: Date?
    let privateKeyInVault: Bool
    let holder: String

    init(_ record: CredentialRecord) {
        let credential = record.credential
        keyID = credential.keyID
        state = credential.state.rawValue
        sha1Thumbprint = credential.thumbprint
        sha256Thumbprint = credential.certificate?.sha256Thumbprint
        subject = credential.certificate?.subject ?? credential.displayName
        notBefore = credential.validFrom
        notAfter = credential.expires
        privateKeyInVault = record.hasValue
        holder = credential.holder.rawValue
    }

    /// The details as indented lines, for people.
    func printDetails() {
        Printer.line("  SHA-1 thumbprint:   \(sha1Thumbprint ?? "-")")
        Printer.line("  SHA-256 thumbprint: \(sha256Thumbprint ?? "-")")
        Printer.line("  subject:            \(subject ?? "-")")
        Printer.line("  valid:              \(DateParser.format(notBefore)) to \(notAfter.map(DateParser.format) ?? "no end")")
    }
}

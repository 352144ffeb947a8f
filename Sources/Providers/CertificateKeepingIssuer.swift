import ClientSecrets
import CryptoPrimitives
import Rotation

/// The issuer of a person-rotated (`manual`) app that signs in with a certificate: everything
/// the manual issuer does (retiring a previous secret, confirmations, rollbacks) except making
/// a new secret, which would take the certificate's place; `cert new` makes its next one.
struct CertificateKeepingIssuer: Issuer {
    let base: any Issuer
    let label: String

    var keepsPreviousSecret: Bool { base.keepsPreviousSecret }

    func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        throw RotationFailure.misconfigured(
            "\(label) signs in with a certificate: let it roll its own (`secrets app edit \(label) --issuer entra-id`), or make the next one with `secrets cert new \(label)`")
    }

    func removeSecret(keyID: String) async throws { try await base.removeSecret(keyID: keyID) }

    func removeSecretReporting(keyID: String) async throws -> SecretRemoval { try await base.removeSecretReporting(keyID: keyID) }

    func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] { try await base.secrets(markedWith: marker) }

    func verify(keyID: String, value: SecureBytes) async throws -> String { try await base.verify(keyID: keyID, value: value) }
}

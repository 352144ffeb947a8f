import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// Rolling an app's own certificates: Graph's `addKey` and `removeKey`, which an application may
/// call on itself given a proof of possession signed by one of its valid certificates
/// (``ProofOfPossession``). The rotation engine drives them as it drives secrets: the new
/// certificate is the "secret", its value the bundle of certificate and private key.
extension EntraIDIssuer {
    /// Makes a key pair and a self-signed certificate ending at `request.expires`, and adds it to
    /// the app with `addKey`, named `request.displayName` (which carries the rotation id, so a
    /// resumed rotation finds it), proving possession with `signing`.
    func createCertificate(_ request: SecretRequest, signing: SigningCertificate) async throws -> IssuedSecret {
        try await guarded {
            let now = Date()
            let key = try RSAPrivateKey.generate(bits: certificateBits)
            let certificate = try X509Certificate.selfSigned(
                key: key, commonName: String(app.label.prefix(64)), notBefore: now.addingTimeInterval(-60), notAfter: request.expires.wholeSeconds)
            let exchange = try await callWithProof(action: "addKey", signing: signing, operation: "addKey") { proof in
                try Self.json([
                    "keyCredential": [
                        "type": "AsymmetricX509Cert", "usage": "Verify", "key": Data(certificate.der).base64EncodedString(),
                        "displayName": request.displayName,
                    ],
                    "passwordCredential": NSNull(),
                    "proof": proof,
                ])
            }
            guard exchange.response.status == 200 else {
                throw graphFailure(ServiceError(status: exchange.response.status, body: exchange.response.body), operation: "add a certificate to", lifetimeOf: request)
            }
            guard let added = try? JSONDecoder().decode(GraphKeyCredential.self, from: exchange.response.body), Validation.isGUID(added.keyId) else {
                throw RotationFailure.unexpectedResponse("addKey for app \(app.appID) answered without a keyId")
            }
            // The answer must name the certificate just sent: a key ID Graph pairs with another
            // certificate would later remove that one.
            guard let identifier = added.customKeyIdentifier, Data(base64Encoded: identifier).map(Array.init) == (try certificate.sha1Thumbprint()) else {
                throw RotationFailure.invalidAnswer("addKey for app \(app.appID) answered without the new certificate's thumbprint")
            }
            if exchange.earlierAttemptMayHaveSucceeded {
                await removeDuplicateCertificates(of: request.displayName, keeping: added.keyId, signing: signing)
            }
            return IssuedSecret(
                keyID: added.keyId, value: CertificateBundle.encode(certificate: certificate, key: key), validFrom: certificate.notBefore,
                expires: certificate.notAfter, displayName: request.displayName, certificate: certificate)
        }
    }

    /// Entra ID's key ID for `certificate` on the app, found by its SHA-1 thumbprint (Graph's
    /// `customKeyIdentifier`); `nil` when the app cannot read itself or does not hold it.
    public func keyID(of certificate: X509Certificate) async -> String? {
        guard let thumbprint = try? certificate.sha1Thumbprint(), let application = try? await guarded({ try await readApplication() }) else { return nil }
        let matches = Self.keyCredentials(withThumbprint: CertificateDetails.hex(thumbprint), in: application)
        return matches.count == 1 ? matches[0].keyId.lowercased() : nil
    }

    /// The key credentials of `application` whose thumbprint (`customKeyIdentifier`) is
    /// `thumbprint` (uppercase hex): one, or more when a lost answer's retry added it twice.
    static func keyCredentials(withThumbprint thumbprint: String, in application: GraphApplication) -> [GraphKeyCredential] {
        (application.keyCredentials ?? []).filter { credential in
            credential.usage != "Sign" && Validation.isGUID(credential.keyId) && Self.thumbprint(of: credential) == thumbprint
        }
    }

    /// A key credential's `customKeyIdentifier` as uppercase hex.
    static func thumbprint(of credential: GraphKeyCredential) -> String? {
        credential.customKeyIdentifier.flatMap { Data(base64Encoded: $0) }.map { CertificateDetails.hex(Array($0)) }
    }

    /// Removes the certificate `keyID` with `removeKey` and says whether the app held it. Never
    /// the last key credential of the vault's current certificate or of the one that signs the
    /// proof: the app would lose what it signs in with. (A second entry of the same certificate,
    /// added by a retry whose first answer was lost, may go.)
    func removeCertificate(keyID: String, signing: SigningCertificate) async throws -> SecretRemoval {
        let application = try await guarded { try await readApplication() }
        let signingThumbprint = CertificateDetails.hex(try signing.certificate.sha1Thumbprint())
        if let target = application.keyCredentials?.first(where: { $0.keyId.lowercased() == keyID.lowercased() }),
           let thumbprint = Self.thumbprint(of: target), protectedThumbprints.contains(thumbprint) || thumbprint == signingThumbprint,
           !Self.keyCredentials(withThumbprint: thumbprint, in: application).contains(where: { $0.keyId.lowercased() != keyID.lowercased() }) {
            throw RotationFailure.invalidAnswer(
                "refusing to remove key \(keyID.lowercased()) of app \(app.label): it is the certificate the app signs in with (thumbprint \(thumbprint))")
        }
        return try await guarded {
            let exchange = try await callWithProof(action: "removeKey", signing: signing, operation: "removeKey") { proof in
                try Self.json(["keyId": keyID.lowercased(), "proof": proof])
            }
            let status = exchange.response.status
            if (200..<300).contains(status) { return .removed }
            let error = ServiceError(status: status, body: exchange.response.body)
            if status == 400 || status == 404 {
                let current = try await readApplication()
                if !(current.keyCredentials ?? []).contains(where: { $0.keyId.lowercased() == keyID.lowercased() }) { return .notHeld }
            }
            throw graphFailure(error, operation: "remove certificate \(keyID.lowercased()) from")
        }
    }

    /// `callOnApplication` with a body that carries a fresh proof for the object id.
    private func callWithProof(
        action: String, signing: SigningCertificate, operation: String, body: (String) throws -> Data
    ) async throws -> GraphSession.Exchange {
        try await callOnApplication(action: action, operation: operation) { objectID in
            let proof: String
            do {
                proof = try ProofOfPossession.make(objectID: objectID, signing: signing)
            } catch {
                throw RotationFailure.misconfigured("the proof of possession for app \(app.appID) could not be signed (\(error)); check it with `secrets cert show \(app.label)`")
            }
            return try body(proof)
        }
    }

    /// Removes certificates named `displayName` other than `keyID`: added by attempts whose answer
    /// was lost. Best effort: the engine's marker lookup remains the backstop.
    private func removeDuplicateCertificates(of displayName: String, keeping keyID: String, signing: SigningCertificate) async {
        guard let application = try? await readApplication() else { return }
        for credential in application.keyCredentials ?? []
        where credential.displayName == displayName && credential.keyId.lowercased() != keyID.lowercased() && Validation.isGUID(credential.keyId) {
            // removeCertificate refuses any certificate the vault still holds live.
            _ = try? await removeCertificate(keyID: credential.keyId, signing: signing)
        }
    }
}

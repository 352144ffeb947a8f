import ClientSecrets
import CryptoPrimitives
import Foundation

extension EntraIDIssuer {
    /// Requests a Graph token as the app itself with `value` (the app's client id, the app's
    /// tenant, its cloud's scope), retrying while Entra ID may still be replicating the secret.
    ///
    /// Returns a line for the log, such as `token issued by https://login.microsoftonline.com/contoso.onmicrosoft.com after 2.3 s`.
    ///
    /// - Throws: ``RotationFailure/verificationFailed(_:)`` with the AADSTS code when the secret
    ///   is still refused at the end of ``VerificationPolicy/window`` (or is refused for a reason
    ///   replication cannot explain); ``RotationFailure/unavailable(_:)`` when the token endpoint
    ///   cannot be reached.
    public func verify(keyID: String, value: SecureBytes) async throws -> String {
        if CertificateBundle.isBundle(value) {
            // A certificate's value (a rolled certificate, or one a rollback brings back): proven
            // by a sign-in with it, never sent as a client secret.
            let pair: SigningCertificate.Pair
            do {
                pair = try CertificateBundle.decode(value)
            } catch {
                throw RotationFailure.verificationFailed("the new certificate \(keyID) of app \(app.appID) does not read: \(error)")
            }
            let signing = SigningCertificate(keyID: keyID, certificate: pair.certificate, privateKey: pair.privateKey)
            return try await verifySignIn(with: .certificate(signing), keyID: keyID)
        }
        do {
            return try await verifyUnscrubbed(keyID: keyID.lowercased(), value: value)
        } catch let failure as RotationFailure {
            // The value under test must not reach a message either.
            throw RotationFailure(failure.code, SecretScrubber.scrub(failure.reason, removing: value))
        }
    }

    /// Requests a Graph token as the app itself with `credential` (a certificate just uploaded,
    /// or a secret), retrying for the ``VerificationPolicy/window`` while Entra ID may still be
    /// replicating it: for a certificate, a key that is not found yet (AADSTS700027) is retried too.
    ///
    /// - Throws: as ``verify(keyID:value:)``.
    public func verifySignIn(with credential: SignInCredential, keyID: String) async throws -> String {
        switch credential {
        case .secret(let value):
            return try await verify(keyID: keyID, value: value)
        case .certificate:
            let credentials = ClientCredentials(clientID: app.appID, tenant: app.tenant, proof: credential)
            do {
                return try await verifyUnscrubbed(credentials, keyID: keyID.lowercased(), what: "certificate")
            } catch let failure as RotationFailure {
                // An answer that repeats the client assertion must not hand it on.
                throw RotationFailure(failure.code, SecretScrubber.scrub(failure.reason, removing: credentials.scrubbable))
            }
        }
    }

    private func verifyUnscrubbed(keyID: String, value: SecureBytes) async throws -> String {
        try await verifyUnscrubbed(ClientCredentials(clientID: app.appID, tenant: app.tenant, secret: value), keyID: keyID, what: "secret")
    }

    private func verifyUnscrubbed(_ credentials: ClientCredentials, keyID: String, what: String) async throws -> String {
        let certificate = what == "certificate"
        let authority = endpoints.authority(tenant: app.tenant)
        let clock = ContinuousClock()
        let started = clock.now
        var delay = verification.initialDelay
        var attempts = 0
        while true {
            attempts += 1
            let outcome = try await session.requestToken(
                credentials, endpoints: endpoints, operation: "verifying \(what) \(keyID) of app \(app.appID)"
            )
            let elapsed = clock.now - started
            switch outcome {
            case .issued:
                return "token issued by \(authority) after \(elapsed.shortDescription)"
            case .refused(let error):
                guard Self.mayBeReplicating(error) || certificate && error.aadsts == 700027 && Self.keyNotFound(error) else {
                    throw RotationFailure.verificationFailed(
                        "\(authority) refused the new \(what) \(keyID) of app \(app.appID): \(describe(error))"
                    )
                }
                guard elapsed + delay <= verification.window else {
                    let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
                    throw RotationFailure.verificationFailed(
                        "\(authority) still refused the new \(what) \(keyID) of app \(app.appID) after \(elapsed.shortDescription) "
                            + "(\(tries)): \(describe(error))"
                    )
                }
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw RotationFailure.verificationFailed("verification of \(what) \(keyID) of app \(app.appID) was cancelled")
                }
                delay = min(delay * verification.multiplier, verification.maximumDelay)
            }
        }
    }

    /// Whether a certificate's refusal says its key was not found (not uploaded, or not
    /// replicated yet), rather than a bad signature or an expired key.
    static func keyNotFound(_ error: ServiceError) -> Bool {
        (error.message ?? "").contains("key was not found")
    }

    /// Whether a refusal may be a secret (or app) that has not replicated yet: an invalid client
    /// secret, or a client id the directory does not know yet.
    static func mayBeReplicating(_ error: ServiceError) -> Bool {
        switch error.aadsts {
        case 7000215?, 700016?: return true
        case nil: return error.code == "invalid_client"
        default: return false
        }
    }
}

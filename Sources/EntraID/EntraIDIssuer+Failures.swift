import ClientSecrets
import Foundation

extension EntraIDIssuer {
    /// Runs `body`, turning every error into a ``RotationFailure`` whose text cannot hold the
    /// rotator's secret.
    func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as RotationFailure {
            throw scrubbed(failure)
        } catch let refusal as GraphSession.TokenRefused {
            throw scrubbed(rotatorRefused(refusal))
        } catch {
            throw scrubbed(.unexpectedResponse(String(describing: error)))
        }
    }

    /// What to tell the admin when the token endpoint refuses the rotator.
    func rotatorRefused(_ refusal: GraphSession.TokenRefused) -> RotationFailure {
        let error = refusal.error
        let reason: String
        switch error.aadsts {
        case 7000222?: reason = "the rotator's secret has expired"
        case 7000215?: reason = "the rotator's secret is wrong, or not valid yet"
        case 700016?: reason = "the rotator's client id is not known in tenant \(rotatorTenant)"
        default: reason = "the rotator's credentials were refused"
        }
        return .authenticationFailed(
            "\(refusal.authority) refused the rotator \(rotatorClientID) (\(describe(error))): \(reason). "
                + "Create a new secret for the rotator app in the Entra admin center and store it in the vault (or rotate the rotator), then retry."
        )
    }

    /// What to tell the admin when Graph refuses `operation` on the app.
    func graphFailure(_ error: ServiceError, operation: String, lifetimeOf request: SecretRequest? = nil) -> RotationFailure {
        let target = "app \(app.label) (\(app.appID))"
        switch error.status {
        case 401:
            return .authenticationFailed("Graph refused the rotator \(rotatorClientID)'s token to \(operation) \(target): \(error.summary)")
        case 403:
            return .permissionDenied(
                "the rotator \(rotatorClientID) may not \(operation) \(target): \(error.summary). "
                    + "Make the rotator an owner of the app and grant it the Microsoft Graph application permission "
                    + "Application.ReadWrite.OwnedBy with admin consent (or Application.ReadWrite.All)."
            )
        case 404:
            return .notFound(
                "Graph has no application with app id \(app.appID) in tenant \(app.tenant) (\(error.summary)); "
                    + "check the app id, the tenant and the cloud (\(endpoints.cloud.rawValue))"
            )
        case 400 where error.isLifetimePolicyRejection:
            var text = error.message ?? error.summary
            if let code = error.code { text += " (\(code))" }
            if let request {
                let days = Int((request.expires.timeIntervalSinceNow / 86_400).rounded())
                text += "; the secret asked for would last \(days) days: shorten the app's secret lifetime to what the tenant's app management policy allows"
            }
            return .policyRejected(text)
        default:
            return .unexpectedResponse("Graph refused to \(operation) \(target): \(error.summary)")
        }
    }

    /// `AADSTS7000215: Invalid client secret provided. …` or the HTTP summary.
    func describe(_ error: ServiceError) -> String {
        if let code = error.aadstsCode {
            let message = error.message ?? ""
            return message.hasPrefix(code) ? message : "\(code): \(message)"
        }
        return error.summary
    }

    private func scrubbed(_ failure: RotationFailure) -> RotationFailure {
        let scrub = { (text: String) in Redaction.scrub(text, removing: rotator.secret) }
        switch failure {
        case .policyRejected(let text): return .policyRejected(scrub(text))
        case .authenticationFailed(let text): return .authenticationFailed(scrub(text))
        case .permissionDenied(let text): return .permissionDenied(scrub(text))
        case .notFound(let text): return .notFound(scrub(text))
        case .unavailable(let text): return .unavailable(scrub(text))
        case .verificationFailed(let text): return .verificationFailed(scrub(text))
        case .consumerFailed(let text): return .consumerFailed(scrub(text))
        case .unexpectedResponse(let text): return .unexpectedResponse(scrub(text))
        case .invalidAnswer(let text): return .invalidAnswer(scrub(text))
        case .needsPerson(let text): return .needsPerson(scrub(text))
        case .misconfigured(let text): return .misconfigured(scrub(text))
        }
    }
}

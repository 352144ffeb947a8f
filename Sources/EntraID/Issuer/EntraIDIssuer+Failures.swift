import ClientSecrets
import Foundation
import Rotation

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
        case 400 where error.credentialRefusal != nil:
            return credentialRefused(error, target: target, request: request)
        default:
            return .unexpectedResponse("Graph refused to \(operation) \(target): \(error.summary)")
        }
    }

    /// What to tell the admin when Graph refused the credential itself (see
    /// ``ServiceError/CredentialRefusal``). Each is definitive: Graph made nothing, so the engine
    /// closes the rotation instead of retrying it on every run.
    private func credentialRefused(_ error: ServiceError, target: String, request: SecretRequest?) -> RotationFailure {
        var graph = error.code ?? "HTTP \(error.status)"
        if let message = error.message, !message.isEmpty { graph += ": \(message)" }
        switch error.credentialRefusal {
        case .passwordsNotAllowed?:
            return .policyRejected(
                "an app management policy of tenant \(app.tenant) forbids client secrets (password credentials) for \(target), "
                    + "so no secret was created (\(graph)). Use certificate credentials for this app, or ask an administrator "
                    + "who manages app management policies for an exemption or a policy that allows passwords for it")
        case .lifetimeOverPolicy?:
            let asked = request.map { " the \(Int(($0.expires.timeIntervalSinceNow / 86_400).rounded())) days asked for" } ?? " the lifetime asked for"
            return .policyRejected(
                "an app management policy of tenant \(app.tenant) caps the lifetime of \(target)'s client secrets below\(asked) (\(graph)); "
                    + "shorten the app's lifetime to what the policy allows (`secrets app edit \(app.label) --lifetime 90d`, for example)")
        case .invalidEndDate?, nil:
            let end = request.map { " (\(DateParser.format($0.expires)))" } ?? ""
            return .misconfigured(
                "Graph refused the end date\(end) of \(target)'s new secret as not after its start (\(graph)); "
                    + "this is not a policy: check this machine's clock and the app's --lifetime")
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
        let scrub = { (text: String) in SecretScrubber.scrub(text, removing: rotator.scrubbable) }
        return RotationFailure(failure.code, scrub(failure.reason))
    }
}

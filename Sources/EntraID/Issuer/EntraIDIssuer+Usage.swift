import ClientSecrets
import Foundation
import Rotation

/// Usage-aware retirement: Graph's credential sign-in report says when each of the app's secrets
/// last signed in. It is a beta API, served in the Global cloud only, and needs `AuditLog.Read.All`
/// (or `Directory.Read.All`) on the rotator; wherever it is missing the answer is
/// ``Rotation/CredentialUsage/unavailable(reason:firstInRun:)`` and the overlap window decides.
extension EntraIDIssuer: CredentialUsageReport {
    /// The report's path under the Graph base URL.
    static let usageReportPath = "beta/reports/appCredentialSignInActivities"
    /// Pages of the report read at most (one app has a handful of secrets; more is a server looping).
    static let maximumUsagePages = 5

    /// When each of the app's secrets last signed in, or why that is unknown.
    public func credentialUsage() async -> CredentialUsage {
        switch await readUsage() {
        case .success(let signIns):
            return .report(signIns)
        case .failure(let problem):
            return .unavailable(reason: problem.description, firstInRun: await session.cache.claimUsageFallbackNotice())
        }
    }

    private func readUsage() async -> Result<[String: CredentialSignIn], CredentialSignInActivities.Refusal> {
        func unavailable(_ text: String) -> Result<[String: CredentialSignIn], CredentialSignInActivities.Refusal> {
            .failure(.init(description: text))
        }
        guard endpoints.cloud == .global else {
            return unavailable("Graph's credential sign-in report exists only in the Global cloud, and \(app.label) is in \(app.cloud.rawValue)")
        }
        guard Validation.isGUID(app.appID) else { return unavailable("the app id is not a GUID") }
        let filter = "appId eq '\(app.appID.lowercased())'"
        guard let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-'"))),
              var url = URL(string: endpoints.graph.absoluteString + "/" + Self.usageReportPath + "?$filter=" + encoded)
        else {
            return unavailable("cannot build the report's URL from \(endpoints.graph.absoluteString)")
        }
        var signIns: [String: CredentialSignIn] = [:]
        for _ in 1...Self.maximumUsagePages {
            let exchange: GraphSession.Exchange
            do {
                exchange = try await session.graph("GET", url, as: rotator, endpoints: endpoints, operation: "reading the credential sign-in report of app \(app.appID)")
            } catch let failure as RotationFailure {
                // Graph's transport failures name the operation and status, never a secret.
                return unavailable("\(failure)")
            } catch {
                return unavailable("the rotator could not sign in to read it")
            }
            let status = exchange.response.status
            guard status == 200 else {
                let error = ServiceError(status: status, body: exchange.response.body)
                if status == 403 {
                    return unavailable("Graph answered 403 \(error.code ?? "Forbidden"): give the rotator the Graph application permission AuditLog.Read.All")
                }
                return unavailable("Graph's beta report answered HTTP \(status)\(error.code.map { " \($0)" } ?? "")")
            }
            let page: CredentialSignInActivities.Page
            do {
                page = try CredentialSignInActivities.parse(exchange.response.body, appID: app.appID, now: Date())
            } catch {
                return unavailable("its answer was refused: \(error.description)")
            }
            signIns.merge(page.signIns) { $0.at >= $1.at ? $0 : $1 }
            guard let next = page.nextLink else { return .success(signIns) }
            // A next page only on the same Graph: the token must not travel anywhere else.
            guard next.hasPrefix(endpoints.graph.absoluteString + "/"), next.count <= 2048, let nextURL = URL(string: next) else {
                return unavailable("its next page is not on \(endpoints.graph.absoluteString)")
            }
            url = nextURL
        }
        return unavailable("the report did not end within \(Self.maximumUsagePages) pages")
    }
}

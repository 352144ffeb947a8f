import FlyingFox
import Foundation

/// The Microsoft identity platform's token endpoint, client-credentials grant only, with the
/// errors (and AADSTS codes) Entra ID gives for a wrong, expired or not yet replicated secret.
struct EntraTokenAPI {
    let state: EntraEmulatorState

    /// The Graph resources of the four clouds; the scope must be one of them plus `/.default`.
    static let graphResources: Set<String> = [
        "https://graph.microsoft.com", "https://graph.microsoft.us",
        "https://dod-graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn",
    ]

    /// Answers a token request; returns the response and the client id it named.
    func token(_ request: HTTPRequest, tenant: String) async -> (HTTPResponse, String?) {
        let body = (try? await request.bodyData) ?? Data()
        let form = Self.parseForm(body)
        let clientID = form["client_id"]?.lowercased()
        guard form["grant_type"] == "client_credentials" else {
            return (EmulatorJSON.oauthError(400, error: "unsupported_grant_type", aadsts: 70003,
                                            description: "The app requested an unsupported grant type '\(form["grant_type"] ?? "")'."), clientID)
        }
        guard let clientID, !clientID.isEmpty else {
            return (EmulatorJSON.oauthError(400, error: "invalid_request", aadsts: 900144,
                                            description: "The request body must contain the following parameter: 'client_id'."), nil)
        }
        guard let scope = form["scope"] else {
            return (EmulatorJSON.oauthError(400, error: "invalid_request", aadsts: 900144,
                                            description: "The request body must contain the following parameter: 'scope'."), clientID)
        }
        guard scope.hasSuffix("/.default"), Self.graphResources.contains(String(scope.dropLast("/.default".count))) else {
            return (EmulatorJSON.oauthError(400, error: "invalid_scope", aadsts: 1002012,
                                            description: "The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."), clientID)
        }
        if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                return (EmulatorJSON.oauthError(400, error: "invalid_request", aadsts: 50027,
                                                description: "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer."), clientID)
            }
            guard form["client_secret"] == nil else {
                return (EmulatorJSON.oauthError(400, error: "invalid_request", aadsts: 900144,
                                                description: "Only one of 'client_assertion' and 'client_secret' may be sent."), clientID)
            }
            let host = request.headers[HTTPHeader("Host")] ?? ""
            let check = AssertionCheck(clientID: clientID, audiences: ["http://\(host)/\(tenant)/oauth2/v2.0/token"], now: Date())
            switch await state.signIn(appID: clientID, assertion: assertion, check: check) {
            case .success:
                let (token, expiresIn) = await state.issueToken(clientID: clientID)
                let body: [String: Any] = ["token_type": "Bearer", "expires_in": expiresIn, "ext_expires_in": expiresIn, "access_token": token]
                return (EmulatorJSON.response(200, body), clientID)
            case .failure(let refusal):
                return (EmulatorJSON.oauthError(refusal.status, error: refusal.error, aadsts: refusal.aadsts, description: refusal.description), clientID)
            }
        }
        switch await state.signIn(appID: clientID, secret: form["client_secret"]) {
        case .accepted:
            let (token, expiresIn) = await state.issueToken(clientID: clientID)
            let body: [String: Any] = ["token_type": "Bearer", "expires_in": expiresIn, "ext_expires_in": expiresIn, "access_token": token]
            return (EmulatorJSON.response(200, body), clientID)
        case .unknownClient:
            return (EmulatorJSON.oauthError(400, error: "unauthorized_client", aadsts: 700016,
                                            description: "Application with identifier '\(clientID)' was not found in the directory '\(tenant)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."), clientID)
        case .missingSecret:
            return (EmulatorJSON.oauthError(401, error: "invalid_client", aadsts: 7000216,
                                            description: "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."), clientID)
        case .invalidSecret:
            return (EmulatorJSON.oauthError(401, error: "invalid_client", aadsts: 7000215,
                                            description: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'."), clientID)
        case .expired:
            return (EmulatorJSON.oauthError(401, error: "invalid_client", aadsts: 7000222,
                                            description: "The provided client secret keys for app '\(clientID)' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."), clientID)
        }
    }

    /// Decodes `application/x-www-form-urlencoded` (`+` is a space).
    static func parseForm(_ body: Data) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

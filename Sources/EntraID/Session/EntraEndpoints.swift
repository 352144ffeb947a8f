import ClientSecrets
import Foundation

/// Where an app's cloud signs in and serves Microsoft Graph: the login base URL, the Graph base
/// URL and the Graph resource a token is requested for.
///
/// The hosts come from the cloud (see `reference/entra-graph.md`); `SECRETS_ENTRA_LOGIN_ENDPOINT`
/// and `SECRETS_GRAPH_ENDPOINT` replace them with other base URLs (an emulator, a proxy). The
/// token scope always stays the cloud's Graph resource, `https://{graph-host}/.default`, since
/// that is what the token is for wherever it is requested.
public struct EntraEndpoints: Sendable, Hashable {
    /// The environment variable that replaces the login base URL.
    public static let loginVariable = "SECRETS_ENTRA_LOGIN_ENDPOINT"
    /// The environment variable that replaces the Graph base URL.
    public static let graphVariable = "SECRETS_GRAPH_ENDPOINT"

    /// The cloud these endpoints belong to.
    public let cloud: Cloud
    /// The login base URL, without a trailing slash (`https://login.microsoftonline.com`).
    public let login: URL
    /// The Graph base URL, without a trailing slash (`https://graph.microsoft.com`).
    public let graph: URL
    /// The Graph resource tokens are requested for (`https://graph.microsoft.com`).
    public let graphResource: String

    /// The client-credentials scope: the Graph resource followed by `/.default`.
    public var scope: String { graphResource + "/.default" }

    /// The endpoints of `cloud`, with the overrides found in `environment`.
    ///
    /// - Throws: ``RotationFailure/misconfigured(_:)`` naming the variable when an override is
    ///   not an `https://` URL (plain `http://` is accepted for loopback addresses only), or
    ///   carries credentials, a query or a fragment.
    public init(cloud: Cloud, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let hosts = Self.hosts(of: cloud)
        let login = try Self.override(Self.loginVariable, in: environment) ?? URL(string: "https://\(hosts.login)")!
        let graph = try Self.override(Self.graphVariable, in: environment) ?? URL(string: "https://\(hosts.graph)")!
        self.init(cloud: cloud, validatedLogin: login, graph: graph)
    }

    /// Endpoints at explicit base URLs, checked like the environment overrides.
    ///
    /// - Throws: ``RotationFailure/misconfigured(_:)`` when a URL is not acceptable.
    public init(cloud: Cloud, login: URL, graph: URL) throws {
        let login = try Self.validate(login.absoluteString, name: "login endpoint")
        let graph = try Self.validate(graph.absoluteString, name: "Graph endpoint")
        self.init(cloud: cloud, validatedLogin: login, graph: graph)
    }

    private init(cloud: Cloud, validatedLogin login: URL, graph: URL) {
        self.cloud = cloud
        self.login = login
        self.graph = graph
        self.graphResource = "https://\(Self.hosts(of: cloud).graph)"
    }

    /// The login and Graph hosts of `cloud`.
    public static func hosts(of cloud: Cloud) -> (login: String, graph: String) {
        switch cloud {
        case .global: return ("login.microsoftonline.com", "graph.microsoft.com")
        case .usgov: return ("login.microsoftonline.us", "graph.microsoft.us")
        case .usgovDoD: return ("login.microsoftonline.us", "dod-graph.microsoft.us")
        case .china: return ("login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn")
        }
    }

    /// The authority of `tenant`: the login base URL followed by the tenant
    /// (`https://login.microsoftonline.com/contoso.onmicrosoft.com`).
    public func authority(tenant: String) -> String {
        login.absoluteString + "/" + tenant
    }

    /// The token endpoint of `tenant`: `{login}/{tenant}/oauth2/v2.0/token`.
    public func tokenURL(tenant: String) -> URL {
        URL(string: authority(tenant: tenant) + "/oauth2/v2.0/token")!
    }

    /// A Graph v1.0 URL: `{graph}/v1.0/{path}` plus an already percent-encoded query.
    func graphURL(_ path: String, query: String? = nil) -> URL? {
        var text = graph.absoluteString + "/v1.0/" + path
        if let query, !query.isEmpty { text += "?" + query }
        return URL(string: text)
    }

    private static func override(_ variable: String, in environment: [String: String]) throws -> URL? {
        guard let value = environment[variable]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return try validate(value, name: variable)
    }

    /// Checks a base URL and returns it without a trailing slash.
    private static func validate(_ value: String, name: String) throws -> URL {
        do {
            try Validation.serviceURL(value, field: name)
        } catch let error as VaultError where error.code == .invalidValue {
            guard case .invalidValue(_, let reason) = error.detail else { throw error }
            throw RotationFailure.misconfigured("\(name): \(reason)")
        }
        guard let components = URLComponents(string: value) else {
            throw RotationFailure.misconfigured("\(name): \"\(value.prefix(128))\" is not a URL")
        }
        guard components.user == nil, components.password == nil else {
            throw RotationFailure.misconfigured("\(name): the URL must not carry a user name or password")
        }
        guard components.query == nil, components.fragment == nil else {
            throw RotationFailure.misconfigured("\(name): give a base URL without a query or fragment (for example https://graph.microsoft.com)")
        }
        var text = value
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text) else {
            throw RotationFailure.misconfigured("\(name): \"\(value.prefix(128))\" is not a URL")
        }
        return url
    }
}

/// What a request to the emulated token endpoint or Graph asks for, parsed from its method and
/// percent-decoded path.
enum EntraRoute: Sendable, Equatable {
    /// How a Graph URL names an application.
    enum ApplicationKey: Sendable, Equatable {
        /// `applications/{id}`: the object id.
        case objectID(String)
        /// `applications(appId='{appId}')`: the client id, as an alternate key.
        case appID(String)
    }

    /// `POST /{tenant}/oauth2/v2.0/token`.
    case token(tenant: String)
    /// `GET /v1.0/applications` (with `$filter=appId eq '…'`, or everything visible).
    case listApplications
    /// `GET /v1.0/applications/delta`: the delta query.
    case applicationsDelta
    /// `GET /v1.0/servicePrincipals/delta`: the delta query of service principals.
    case servicePrincipalsDelta
    /// `GET /v1.0/applications/{id}/owners`: every owner, in pages.
    case listOwners(ApplicationKey)
    /// `GET /v1.0/applications/{id}` or `/v1.0/applications(appId='…')`.
    case getApplication(ApplicationKey)
    /// `POST …/addPassword`.
    case addPassword(ApplicationKey)
    /// `POST …/removePassword`.
    case removePassword(ApplicationKey)
    /// `POST …/addKey`: a certificate added with a proof of possession.
    case addKey(ApplicationKey)
    /// `POST …/removeKey`.
    case removeKey(ApplicationKey)
    /// `GET /beta/reports/appCredentialSignInActivities` (with `$filter=appId eq '…'`).
    case credentialSignInActivities
    /// A Graph path this emulator does not serve (Graph answers 400 for an unknown segment).
    case unknownGraph(segment: String)
    /// A Graph path it knows, with the wrong method.
    case methodNotAllowed
    /// Anything else.
    case unknown

    /// The operation faults and the request log file this under.
    var operation: EntraOperation? {
        switch self {
        case .token: return .token
        case .getApplication: return .getApplication
        case .listApplications, .applicationsDelta, .servicePrincipalsDelta, .listOwners: return .listApplications
        case .addPassword: return .addPassword
        case .removePassword: return .removePassword
        case .addKey: return .addKey
        case .removeKey: return .removeKey
        case .credentialSignInActivities: return .credentialSignInActivities
        case .unknownGraph, .methodNotAllowed, .unknown: return nil
        }
    }

    /// Parses `method` and the decoded `path`.
    init(method: String, path: String) {
        let isPost = method.uppercased() == "POST"
        let isGet = method.uppercased() == "GET"
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.count == 5, components[0].isEmpty, !components[1].isEmpty,
           components[2] == "oauth2", components[3] == "v2.0", components[4] == "token" {
            self = isPost ? .token(tenant: components[1]) : .methodNotAllowed
            return
        }
        if path == "/beta/reports/appCredentialSignInActivities" {
            self = isGet ? .credentialSignInActivities : .methodNotAllowed
            return
        }
        guard path.hasPrefix("/v1.0/") else {
            self = .unknown
            return
        }
        let rest = String(path.dropFirst("/v1.0/".count))
        if rest == "applications/delta" || rest == "applications/microsoft.graph.delta" {
            self = isGet ? .applicationsDelta : .methodNotAllowed
            return
        }
        if rest == "servicePrincipals/delta" || rest == "servicePrincipals/microsoft.graph.delta" {
            self = isGet ? .servicePrincipalsDelta : .methodNotAllowed
            return
        }
        guard let (key, action) = Self.application(in: rest) else {
            if rest == "applications" {
                self = isGet ? .listApplications : .methodNotAllowed
            } else {
                self = .unknownGraph(segment: rest.split(separator: "/").first.map(String.init) ?? rest)
            }
            return
        }
        switch action {
        case nil: self = isGet ? .getApplication(key) : .methodNotAllowed
        case "addPassword"?, "microsoft.graph.addPassword"?: self = isPost ? .addPassword(key) : .methodNotAllowed
        case "removePassword"?, "microsoft.graph.removePassword"?: self = isPost ? .removePassword(key) : .methodNotAllowed
        case "addKey"?, "microsoft.graph.addKey"?: self = isPost ? .addKey(key) : .methodNotAllowed
        case "removeKey"?, "microsoft.graph.removeKey"?: self = isPost ? .removeKey(key) : .methodNotAllowed
        case "owners"?: self = isGet ? .listOwners(key) : .methodNotAllowed
        case let other?: self = .unknownGraph(segment: other)
        }
    }

    /// Splits `applications(appId='x')[/action]` or `applications/{id}[/action]`.
    private static func application(in rest: String) -> (ApplicationKey, String?)? {
        if rest.hasPrefix("applications("), let close = rest.firstIndex(of: ")") {
            let inside = rest[rest.index(rest.startIndex, offsetBy: "applications(".count)..<close]
            guard let equals = inside.firstIndex(of: "="),
                  inside[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "appid" else { return nil }
            var value = inside[inside.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            let tail = rest[rest.index(after: close)...]
            let parts = tail.split(separator: "/").map(String.init)
            guard parts.count <= 1 else { return nil }
            return (.appID(value), parts.first)
        }
        if rest.hasPrefix("applications/") {
            let parts = rest.dropFirst("applications/".count).split(separator: "/").map(String.init)
            guard (1...2).contains(parts.count) else { return nil }
            return (.objectID(parts[0]), parts.count == 2 ? parts[1] : nil)
        }
        return nil
    }
}

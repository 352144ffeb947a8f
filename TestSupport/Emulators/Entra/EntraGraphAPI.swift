import FlyingFox
import Foundation

/// The part of Microsoft Graph the issuer uses: reading an application, `addPassword` and
/// `removePassword` (v1.0), and the credential sign-in report (beta), behind bearer tokens and
/// Graph's application permissions.
///
/// Permissions: reading needs `Application.Read.All`, `Application.ReadWrite.All`, or
/// `Application.ReadWrite.OwnedBy` on an app the caller owns (an `OwnedBy` caller lists only the
/// apps it owns and gets 403 reading another); writing needs `Application.ReadWrite.All`, or
/// `Application.ReadWrite.OwnedBy` and ownership. Owners are named by app id.
///
/// `removePassword` with a key id the app does not hold answers 400 `Request_BadRequest`
/// (Graph's exact wording for this case is not documented; a client must confirm absence by
/// reading the application, not by matching the message).
struct EntraGraphAPI {
    let state: EntraEmulatorState

    static let readAll = "Application.Read.All"
    static let readWriteAll = "Application.ReadWrite.All"
    static let readWriteOwnedBy = "Application.ReadWrite.OwnedBy"
    static let auditLogReadAll = "AuditLog.Read.All"
    static let directoryReadAll = "Directory.Read.All"

    struct Caller {
        var appID: String
        var roles: Set<String>
    }

    func handle(_ route: EntraRoute, request: HTTPRequest) async -> (HTTPResponse, String?) {
        let clientRequestID = request.headers[HTTPHeader("client-request-id")]
        func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
            EmulatorJSON.graphError(status, code: code, message: message, clientRequestID: clientRequestID)
        }
        switch route {
        case .unknownGraph(let segment):
            return (error(400, "BadRequest", "Resource not found for the segment '\(segment)'."), nil)
        case .methodNotAllowed:
            return (error(405, "Request_BadRequest", "The specified HTTP method is not allowed for the request target."), nil)
        default:
            break
        }
        let caller: Caller
        switch await authenticate(request) {
        case .success(let found): caller = found
        case .failure(let message): return (error(401, "InvalidAuthenticationToken", message.text), nil)
        }
        let denied = error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

        switch route {
        case .listApplications:
            // `+` stands for a space in a query string (curl and forms write it so).
            let filter = request.query.first { $0.name == "$filter" }?.value.replacingOccurrences(of: "+", with: " ")
            var visible = await state.allApplications().filter { canRead(caller, $0) }
            if let filter {
                guard let appID = Self.appIDFilter(filter) else {
                    return (error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'appId' of resource 'Application'."), caller.appID)
                }
                visible = visible.filter { $0.appID == appID.lowercased() }
            }
            // Paging as Graph documents it ("Paging Microsoft Graph data in your app"): `$top`
            // (1 to 999 for applications; 100 when absent) sets the page size, and a page that is
            // not the last carries `@odata.nextLink`, the absolute URL of the next page with the
            // query repeated and an opaque `$skiptoken` added. `$select` limits the properties.
            let query = { (name: String) in request.query.first { $0.name == name }?.value }
            var top = 100
            if let text = query("$top") {
                guard let value = Int(text), (1...999).contains(value) else {
                    return (error(400, "Request_UnsupportedQuery", "Invalid page size specified: '\(text)'. Must be between 1 and 999 inclusive."), caller.appID)
                }
                top = value
            }
            var offset = 0
            if let token = query("$skiptoken") {
                guard let decoded = Self.tokenNumbers(token, kind: "list", count: 1)?.first, decoded <= visible.count else {
                    return (error(400, "Request_BadRequest", "The specified page token value has expired or is invalid."), caller.appID)
                }
                offset = decoded
            }
            let selected = Self.selected(request)
            // `$expand=owners` (optionally `owners($select=…)`): each application's owners, at
            // most 20 of them, as Graph expands a directory relationship.
            let expandsOwners = query("$expand").map { $0.hasPrefix("owners") } ?? false
            let page = visible[offset..<min(offset + top, visible.count)]
            var rendered: [[String: Any]] = []
            for application in page {
                var full = Self.json(application)
                if let selected { full = full.filter { selected.contains($0.key) || $0.key == "id" } }
                if expandsOwners { full["owners"] = Array(await owners(of: application).prefix(20)) }
                rendered.append(full)
            }
            var body: [String: Any] = [
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
                "value": rendered,
            ]
            if offset + top < visible.count,
               let next = Self.link(request, path: request.path, keeping: ["$select", "$top", "$filter", "$expand"], name: "$skiptoken",
                                    token: Self.token(kind: "list", [offset + top])) {
                body["@odata.nextLink"] = next
            }
            return (EmulatorJSON.response(200, body, contentType: EmulatorJSON.graphContentType), caller.appID)

        case .listOwners(let key):
            guard let application = await application(key) else { return (notFound(key, clientRequestID), caller.appID) }
            guard canRead(caller, application) else { return (denied, caller.appID) }
            let everyone = await owners(of: application)
            var top = 100
            if let text = request.query.first(where: { $0.name == "$top" })?.value {
                guard let value = Int(text), (1...999).contains(value) else {
                    return (error(400, "Request_UnsupportedQuery", "Invalid page size specified: '\(text)'. Must be between 1 and 999 inclusive."), caller.appID)
                }
                top = value
            }
            var offset = 0
            if let token = request.query.first(where: { $0.name == "$skiptoken" })?.value {
                guard let decoded = Self.tokenNumbers(token, kind: "owners", count: 1)?.first, decoded <= everyone.count else {
                    return (error(400, "Request_BadRequest", "The specified page token value has expired or is invalid."), caller.appID)
                }
                offset = decoded
            }
            var body: [String: Any] = [
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                "value": Array(everyone[offset..<min(offset + top, everyone.count)]),
            ]
            if offset + top < everyone.count,
               let next = Self.link(request, path: request.path, keeping: ["$select", "$top"], name: "$skiptoken", token: Self.token(kind: "owners", [offset + top])) {
                body["@odata.nextLink"] = next
            }
            return (EmulatorJSON.response(200, body, contentType: EmulatorJSON.graphContentType), caller.appID)

        case .getApplication(let key):
            guard let application = await application(key) else {
                return (notFound(key, clientRequestID), caller.appID)
            }
            guard canRead(caller, application) else { return (denied, caller.appID) }
            var body = Self.json(application)
            body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#applications/$entity"
            return (EmulatorJSON.response(200, body, contentType: EmulatorJSON.graphContentType), caller.appID)

        case .addPassword(let key):
            guard let application = await application(key) else { return (notFound(key, clientRequestID), caller.appID) }
            guard canWrite(caller, application) else { return (denied, caller.appID) }
            return (await addPassword(to: application, request: request, error: error), caller.appID)

        case .credentialSignInActivities:
            return (await signInActivities(caller, request: request, error: error), caller.appID)

        case .applicationsDelta:
            return (await delta(caller, request: request, of: .applications, error: error), caller.appID)

        case .servicePrincipalsDelta:
            return (await delta(caller, request: request, of: .servicePrincipals, error: error), caller.appID)

        case .addKey(let key), .removeKey(let key):
            guard let application = await application(key) else { return (notFound(key, clientRequestID), caller.appID) }
            // An application needs no permission to roll its own certificates; another caller
            // needs write access, as for passwords. The proof is required either way.
            guard caller.appID == application.appID || canWrite(caller, application) else { return (denied, caller.appID) }
            let adding = if case .addKey = route { true } else { false }
            return (await rollKey(adding: adding, application: application, request: request, error: error), caller.appID)

        case .removePassword(let key):
            guard let application = await application(key) else { return (notFound(key, clientRequestID), caller.appID) }
            guard canWrite(caller, application) else { return (denied, caller.appID) }
            let body = (try? await request.bodyData) ?? Data()
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            guard let keyID = object?["keyId"] as? String, UUID(uuidString: keyID) != nil else {
                return (error(400, "Request_BadRequest", "Invalid value specified for property 'keyId' of resource 'PasswordCredential'."), caller.appID)
            }
            guard await state.removeSecret(objectID: application.objectID, keyID: keyID) else {
                return (error(400, "Request_BadRequest", "No password credential with keyId '\(keyID.lowercased())' exists on the application."), caller.appID)
            }
            return (EmulatorJSON.empty(204), caller.appID)

        default:
            return (error(400, "BadRequest", "Unsupported request."), caller.appID)
        }
    }

    private func addPassword(
        to application: EntraEmulatorState.Application, request: HTTPRequest,
        error: (Int, String, String) -> HTTPResponse
    ) async -> HTTPResponse {
        let body = (try? await request.bodyData) ?? Data()
        let object: [String: Any]
        if body.isEmpty {
            object = [:]
        } else if let parsed = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] {
            object = parsed
        } else {
            return error(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
        }
        let credential = object["passwordCredential"] as? [String: Any] ?? [:]
        let now = Date()
        var start = now
        if let text = credential["startDateTime"] as? String {
            guard let parsed = EmulatorJSON.parseDate(text) else {
                return error(400, "BadRequest", "Cannot convert the literal '\(text)' to the expected type 'Edm.DateTimeOffset'.")
            }
            start = parsed
        }
        var end = Calendar(identifier: .gregorian).date(byAdding: .year, value: 2, to: start) ?? start.addingTimeInterval(730 * 86_400)
        if let text = credential["endDateTime"] as? String {
            guard let parsed = EmulatorJSON.parseDate(text) else {
                return error(400, "BadRequest", "Cannot convert the literal '\(text)' to the expected type 'Edm.DateTimeOffset'.")
            }
            end = parsed
        }
        guard end > start else {
            return error(400, "InvalidKeyEndDate", "Key credential end date is invalid.")
        }
        if await state.forbidsPasswords(appID: application.appID) {
            // Graph's shape: the code names the policy, the message quotes it.
            return EmulatorJSON.graphError(
                400, code: "CredentialTypeNotAllowedAsPerAppPolicy",
                message: "Credential type not allowed as per assigned policy '\(state.policyID)'.",
                clientRequestID: request.headers[HTTPHeader("client-request-id")])
        }
        if let maxLifetime = await state.configuration.maxLifetime, end.timeIntervalSince(start) > maxLifetime + 1 {
            let message = "Credential lifetime exceeds the max value allowed as per assigned policy '\(state.policyID)'."
            return EmulatorJSON.graphError(
                400, code: "CredentialInvalidLifetimeAsPerAppPolicy", message: message,
                clientRequestID: request.headers[HTTPHeader("client-request-id")],
                details: [["code": "InvalidKeyEndDate", "message": message, "target": "EndDate"]]
            )
        }
        let hostile = await state.takeHostileAnswer()
        if let hostile, let status = hostile.errorStatus {
            return error(status, hostile.errorCode ?? "Request_BadRequest", hostile.errorMessage ?? "Injected failure.")
        }
        let displayName = credential["displayName"] as? String
        guard let secret = await state.addSecret(
            appID: application.appID, value: nil, keyID: nil, displayName: displayName,
            start: start, end: end, replicated: false
        ) else {
            return error(404, "Request_ResourceNotFound", "Resource '\(application.objectID)' does not exist or one of its queried reference-property objects are not present.")
        }
        var json = Self.json(secret)
        json["secretText"] = secret.value
        json["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential"
        if let hostile { json = hostile.apply(to: json) }
        return EmulatorJSON.response(200, json, contentType: EmulatorJSON.graphContentType)
    }

    /// `GET /beta/reports/appCredentialSignInActivities?$filter=appId eq '…'`: one entry per secret
    /// that signed in, in the documented shape. Needs `AuditLog.Read.All` (or `Directory.Read.All`).
    private func signInActivities(_ caller: Caller, request: HTTPRequest, error: (Int, String, String) -> HTTPResponse) async -> HTTPResponse {
        guard caller.roles.contains(Self.auditLogReadAll) || caller.roles.contains(Self.directoryReadAll) else {
            return error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        }
        let filter = request.query.first { $0.name == "$filter" }?.value.replacingOccurrences(of: "+", with: " ")
        var applications = await state.allApplications()
        if let filter {
            guard let appID = Self.appIDFilter(filter) else {
                return error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified.")
            }
            applications = applications.filter { $0.appID == appID.lowercased() }
        }
        let entries: [[String: Any]] = applications.flatMap { application in
            application.secrets.compactMap { secret -> [String: Any]? in
                guard let lastSignIn = secret.lastSignIn else { return nil }
                return [
                    "id": Data("\(secret.keyID)|application".utf8).base64EncodedString(),
                    "appId": application.appID, "appObjectId": application.objectID, "credentialOrigin": "application",
                    "createdDateTime": EmulatorJSON.format(secret.created, fractionalDigits: 0),
                    "expirationDateTime": EmulatorJSON.format(secret.end, fractionalDigits: 0),
                    "keyId": secret.keyID, "keyType": "clientSecret", "keyUsage": "verify",
                    "resourceId": "00000003-0000-0000-c000-000000000000", "servicePrincipalObjectId": application.objectID,
                    "signInActivity": [
                        "lastSignInDateTime": EmulatorJSON.format(lastSignIn, fractionalDigits: 7),
                        "lastSignInRequestId": UUID().uuidString.lowercased(),
                    ],
                ]
            }
        }
        let body: [String: Any] = [
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#reports/appCredentialSignInActivities", "value": entries,
        ]
        return EmulatorJSON.response(200, body, contentType: EmulatorJSON.graphContentType)
    }

    // MARK: Authentication and authorization

    private struct Unauthenticated: Error { var text: String }

    /// The delta query, as Graph's "delta query overview" documents it: the first round lists
    /// every application there is now (none deleted before it); later rounds, from a
    /// `@odata.deltaLink`, list what changed since, in full, and what was deleted as its `id`
    /// with `"@removed": {"reason": "changed"}` (applications go to deleted items first, where they
    /// can be restored). Pages carry `@odata.nextLink` (`$skiptoken`) and the last one
    /// `@odata.deltaLink` (`$deltatoken`), never both. Page size: `Prefer: odata.maxpagesize=N`,
    /// 100 when absent. An expired token is refused as Graph documents for identity resources
    /// (400 `syncStateNotFound`), or, when configured, 410 `resyncRequired`.
    ///
    /// Service principals (`GET /servicePrincipals/delta`, "servicePrincipal: delta") are read
    /// the same way by a caller with `Application.Read.All` or more; an `OwnedBy` caller owns
    /// none here, so it reads none.
    private func delta(_ caller: Caller, request: HTTPRequest, of collection: DeltaCollection, error: (Int, String, String) -> HTTPResponse) async -> HTTPResponse {
        let query = { (name: String) in request.query.first { $0.name == name }?.value }
        let changeNumber = await state.changeNumber
        var since = 0, upTo = changeNumber, offset = 0
        if let token = query("$skiptoken") {
            guard let parts = Self.tokenNumbers(token, kind: "page", count: 3), parts[1] <= changeNumber else {
                return error(400, "Request_BadRequest", "The specified page token value has expired or is invalid.")
            }
            (since, upTo, offset) = (parts[0], parts[1], parts[2])
        } else if let token = query("$deltatoken") {
            guard let parts = Self.tokenNumbers(token, kind: "delta", count: 1), parts[0] <= changeNumber else {
                return error(400, "Request_BadRequest", "The specified delta token value is invalid.")
            }
            guard parts[0] >= (await state.oldestDeltaToken) else {
                if await state.expiredDeltaIsGone {
                    return error(410, "resyncRequired", "The delta token is expired and data must be synchronized again.")
                }
                return error(400, "syncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
            }
            since = parts[0]
        }
        let selected = Self.selected(request)
        let everything = caller.roles.contains(Self.readAll) || caller.roles.contains(Self.readWriteAll)
        let itemCount: Int
        let render: (Int, inout DeltaPageWriter) -> Void
        let removed: [EntraEmulatorState.Removal]
        switch collection {
        case .applications:
            let applications = await state.applicationsByChange()
                .filter { $0.changedAt > since && $0.changedAt <= upTo && canRead(caller, $0) }
            itemCount = applications.count
            render = { $1.application(applications[$0]) }
            removed = await state.removals
        case .servicePrincipals:
            let principals = everything ? await state.servicePrincipalsByChange().filter { $0.changedAt > since && $0.changedAt <= upTo } : []
            itemCount = principals.count
            render = { $1.servicePrincipal(principals[$0]) }
            removed = await state.principalRemovals
        }
        var removals: [String] = []
        if since > 0 {
            removals = removed
                .filter { $0.changedAt > since && $0.changedAt <= upTo && (everything || $0.owners.contains(caller.appID)) }
                .map(\.objectID)
        }
        let count = itemCount + removals.count
        var pageSize = 100
        if let prefer = request.headers[HTTPHeader("Prefer")], let range = prefer.range(of: "odata.maxpagesize=") {
            pageSize = max(1, Int(prefer[range.upperBound...].prefix { $0.isNumber }) ?? 100)
        }
        guard offset <= count else { return error(400, "Request_BadRequest", "The specified page token value has expired or is invalid.") }
        let end = min(offset + pageSize, count)
        // Only the page is turned into JSON: a tenant of 10,000 applications is read in 100 pages.
        var page = DeltaPageWriter(context: "https://graph.microsoft.com/v1.0/$metadata#\(collection.rawValue)", selected: selected)
        for index in offset..<end {
            if index < itemCount { render(index, &page) } else { page.removed(removals[index - itemCount]) }
        }
        let path = "/v1.0/\(collection.rawValue)/delta"
        let body = end < count
            ? page.finish(linkName: "@odata.nextLink", link: Self.link(request, path: path, keeping: ["$select"], name: "$skiptoken", token: Self.token(kind: "page", [since, upTo, end])))
            : page.finish(linkName: "@odata.deltaLink", link: Self.link(request, path: path, keeping: ["$select"], name: "$deltatoken", token: Self.token(kind: "delta", [upTo])))
        return EmulatorJSON.response(200, body: body, contentType: EmulatorJSON.graphContentType)
    }

    /// An opaque token holding `numbers` (Graph's tokens are opaque; these are base64url).
    static func token(kind: String, _ numbers: [Int]) -> String {
        Data(([kind] + numbers.map(String.init)).joined(separator: ":").utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func tokenNumbers(_ token: String, kind: String, count: Int) -> [Int]? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":").map(String.init)
        guard parts.count == count + 1, parts[0] == kind else { return nil }
        let numbers = parts.dropFirst().compactMap { Int($0) }
        return numbers.count == count && numbers.allSatisfy { $0 >= 0 } ? numbers : nil
    }

    /// A collection with a delta query.
    enum DeltaCollection: String {
        case applications, servicePrincipals
    }

    /// `$select`'s properties, or `nil` for all of them.
    static func selected(_ request: HTTPRequest) -> Set<String>? {
        request.query.first { $0.name == "$select" }.map { Set($0.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    }

    /// `path` on the request's own host with the query items named in `keeping` and `name=token`:
    /// a next page's or the next round's link.
    static func link(_ request: HTTPRequest, path: String, keeping: Set<String>, name: String, token: String) -> String? {
        guard let host = request.headers[.host] else { return nil }
        var components = URLComponents()
        components.path = path
        let kept = request.query.filter { keeping.contains($0.name) }.map { URLQueryItem(name: $0.name, value: $0.value) }
        components.queryItems = kept + [URLQueryItem(name: name, value: token)]
        return components.string.map { "http://" + host + $0 }
    }

    private func authenticate(_ request: HTTPRequest) async -> Result<Caller, Unauthenticated> {
        guard let header = request.headers[.authorization], !header.isEmpty else {
            return .failure(Unauthenticated(text: "Access token is empty."))
        }
        guard header.lowercased().hasPrefix("bearer ") else {
            return .failure(Unauthenticated(text: "Access token validation failure. Invalid audience."))
        }
        let value = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let token = await state.token(value) else {
            return .failure(Unauthenticated(text: "IDX14100: JWT is not well formed, there are no dots (.)."))
        }
        guard token.expires > Date() else {
            return .failure(Unauthenticated(text: "Lifetime validation failed, the token is expired."))
        }
        let roles = await state.application(appID: token.clientID)?.roles ?? []
        return .success(Caller(appID: token.clientID, roles: roles))
    }

    private func canRead(_ caller: Caller, _ application: EntraEmulatorState.Application) -> Bool {
        caller.roles.contains(Self.readAll) || caller.roles.contains(Self.readWriteAll)
            || (caller.roles.contains(Self.readWriteOwnedBy) && application.owners.contains(caller.appID))
    }

    func canWrite(_ caller: Caller, _ application: EntraEmulatorState.Application) -> Bool {
        caller.roles.contains(Self.readWriteAll)
            || (caller.roles.contains(Self.readWriteOwnedBy) && application.owners.contains(caller.appID))
    }

    // MARK: Helpers

    private func application(_ key: EntraRoute.ApplicationKey) async -> EntraEmulatorState.Application? {
        switch key {
        case .objectID(let id): return await state.application(objectID: id)
        case .appID(let appID): return await state.application(appID: appID)
        }
    }

    private func notFound(_ key: EntraRoute.ApplicationKey, _ clientRequestID: String?) -> HTTPResponse {
        let name = switch key {
        case .objectID(let id): id
        case .appID(let appID): appID
        }
        return EmulatorJSON.graphError(404, code: "Request_ResourceNotFound",
                                       message: "Resource '\(name)' does not exist or one of its queried reference-property objects are not present.",
                                       clientRequestID: clientRequestID)
    }

    /// The app id in `appId eq '…'`, or `nil` for any other filter.
    static func appIDFilter(_ filter: String) -> String? {
        let parts = filter.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0].lowercased() == "appid", parts[1].lowercased() == "eq" else { return nil }
        let quoted = parts[2]
        guard quoted.count >= 2, quoted.hasPrefix("'"), quoted.hasSuffix("'") else { return nil }
        return String(quoted.dropFirst().dropLast())
    }

    static func json(_ application: EntraEmulatorState.Application) -> [String: Any] {
        [
            "id": application.objectID,
            "appId": application.appID,
            "displayName": application.displayName,
            "signInAudience": "AzureADMyOrg",
            "keyCredentials": application.certificates.map { json($0) },
            "passwordCredentials": application.secrets.map { json($0) },
        ]
    }

    /// An application's owners as Graph lists directory objects: users with their
    /// `userPrincipalName`, then the service principals of the owning apps (this emulator names a
    /// service principal by its app id, which is a GUID too).
    private func owners(of application: EntraEmulatorState.Application) async -> [[String: Any]] {
        var result: [[String: Any]] = application.userOwners.map {
            ["@odata.type": "#microsoft.graph.user", "id": $0.objectID, "displayName": $0.displayName, "userPrincipalName": $0.userPrincipalName]
        }
        for appID in application.owners.sorted() {
            let name = await state.application(appID: appID)?.displayName ?? appID
            result.append(["@odata.type": "#microsoft.graph.servicePrincipal", "id": appID, "displayName": name, "appId": appID])
        }
        return result
    }

    /// A service principal as Graph's resource type documents it (the properties a sync selects).
    static func json(_ principal: EntraEmulatorState.ServicePrincipal) -> [String: Any] {
        [
            "id": principal.objectID,
            "appId": principal.appID,
            "displayName": principal.displayName,
            "servicePrincipalType": "Application",
            "keyCredentials": principal.certificates.map { json($0) },
            "passwordCredentials": principal.secrets.map { json($0) },
        ]
    }

    /// A `keyCredential` as Graph's resource type documents it: the thumbprint in
    /// `customKeyIdentifier` (Edm.Binary, so base64), `key` null when listing.
    static func json(_ certificate: EmulatedCertificate) -> [String: Any] {
        [
            "customKeyIdentifier": Data(certificate.thumbprint).base64EncodedString(),
            "displayName": certificate.displayName.map { $0 as Any } ?? NSNull(),
            "endDateTime": EmulatorJSON.format(certificate.end, fractionalDigits: 0),
            "key": NSNull(),
            "keyId": certificate.keyID,
            "startDateTime": EmulatorJSON.format(certificate.start, fractionalDigits: 0),
            "type": "AsymmetricX509Cert",
            "usage": certificate.usage,
        ]
    }

    /// A secret's date as Graph writes it: seven fractional digits for a time it chose.
    static func dateText(_ value: Date) -> String {
        let hasFraction = value.timeIntervalSince1970 != value.timeIntervalSince1970.rounded(.down)
        return EmulatorJSON.format(value, fractionalDigits: hasFraction ? 7 : 0)
    }

    static func json(_ secret: EmulatedSecret) -> [String: Any] {
        let date = dateText
        return [
            "customKeyIdentifier": secret.customKeyIdentifier.map { Data($0).base64EncodedString() as Any } ?? NSNull(),
            "displayName": secret.displayName.map { $0 as Any } ?? NSNull(),
            "endDateTime": date(secret.end),
            "hint": secret.hint,
            "keyId": secret.keyID,
            "secretText": NSNull(),
            "startDateTime": date(secret.start),
        ]
    }
}

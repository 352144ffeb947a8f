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

    private struct Caller {
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
            let body: [String: Any] = [
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
                "value": visible.map { Self.json($0) },
            ]
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

    private func canWrite(_ caller: Caller, _ application: EntraEmulatorState.Application) -> Bool {
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
            "keyCredentials": [Any](),
            "passwordCredentials": application.secrets.map { json($0) },
        ]
    }

    static func json(_ secret: EmulatedSecret) -> [String: Any] {
        func date(_ value: Date) -> String {
            let hasFraction = value.timeIntervalSince1970 != value.timeIntervalSince1970.rounded(.down)
            return EmulatorJSON.format(value, fractionalDigits: hasFraction ? 7 : 0)
        }
        return [
            "customKeyIdentifier": NSNull(),
            "displayName": secret.displayName.map { $0 as Any } ?? NSNull(),
            "endDateTime": date(secret.end),
            "hint": secret.hint,
            "keyId": secret.keyID,
            "secretText": NSNull(),
            "startDateTime": date(secret.start),
        ]
    }
}

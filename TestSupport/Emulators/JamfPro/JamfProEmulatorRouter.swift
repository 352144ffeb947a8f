import FlyingFox
import Foundation

/// Answers the emulator's requests: the Jamf Pro API here, `/_emulator/` in the Control extension.
struct JamfProEmulatorRouter: HTTPHandler {
    let state: JamfProEmulatorState
    let validator: JamfProEmulator.SecretValidator?

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path.hasPrefix("/_emulator/") {
            do {
                return try await control(request)
            } catch is NotAnObject {
                return Self.json(400, ["error": "the body must be a JSON object"])
            }
        }
        return try await api(request)
    }

    // MARK: Jamf Pro API

    private func api(_ request: HTTPRequest) async throws -> HTTPResponse {
        let method = request.method.rawValue.uppercased()
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var operation: JamfProEmulator.Operation?
        var parameter = ""
        switch (method, parts) {
        case ("POST", ["api", "oauth", "token"]), ("POST", ["api", "v1", "oauth", "token"]):
            operation = .token
        case ("GET", ["api", "v1", "conditional-access", "device-compliance", "feature-toggle"]):
            operation = .featureToggle
        case ("GET", let p) where p.count == 6 && Array(p[0..<5]) == ["api", "v1", "conditional-access", "device-compliance-information", "computer"]:
            operation = .complianceInformation
            parameter = p[5]
        case ("GET", let p) where p.count == 4 && p[0] == "api" && p[1] == "v1" && p[2] == "computers-inventory":
            operation = .computerInventory
            parameter = p[3]
        case ("POST", let p) where p.count == 5 && p[0] == "api" && p[1] == "v1" && p[2] == "api-integrations" && p[4] == "client-credentials":
            operation = .regenerateClientCredentials
            parameter = p[3]
        case ("GET", let p) where p.count == 4 && p[0] == "api" && p[1] == "v1" && p[2] == "api-integrations":
            operation = .apiIntegration
            parameter = p[3]
        default:
            operation = nil
        }

        let latency = await state.configuration.latency
        if latency > 0 { try await Task.sleep(nanoseconds: UInt64(latency * 1_000_000_000)) }
        let hadBearer = request.headers[.authorization]?.hasPrefix("Bearer ") ?? false
        func record(_ status: Int) async {
            await state.record(JamfProEmulator.RecordedRequest(
                method: method, path: request.path, query: request.target.query(percentEncoded: true), operation: operation,
                hadBearer: hadBearer, status: status, at: Date()))
        }

        guard let operation else {
            await record(404)
            return Self.jamfError(404, code: "NOT_FOUND", description: "No such endpoint in the emulator")
        }
        if let fault = await state.takeFault(for: operation) {
            switch fault {
            case .throttle(let retryAfter):
                await record(429)
                var response = Self.jamfError(429, code: "TOO_MANY_REQUESTS", description: "Too many requests")
                if let retryAfter { response.headers[HTTPHeader("Retry-After")] = String(retryAfter) }
                return response
            case .serverError(let status, let retryAfter):
                await record(status)
                var response = Self.jamfError(status, code: "SERVER_ERROR", description: "Injected fault")
                if let retryAfter { response.headers[HTTPHeader("Retry-After")] = String(retryAfter) }
                return response
            case .hang:
                await record(0)
                try await Task.sleep(nanoseconds: 3_600 * 1_000_000_000)
                return Self.jamfError(503, code: "SERVER_ERROR", description: "Hung")
            case .dropConnection:
                await record(0)
                return HTTPResponse(webSocket: JamfDropConnection())
            }
        }

        let response: HTTPResponse
        switch operation {
        case .token: response = try await token(request)
        case .featureToggle: response = try await featureToggle(request)
        case .complianceInformation: response = try await compliance(request, computerID: parameter)
        case .computerInventory: response = try await inventory(request, computerID: parameter)
        case .regenerateClientCredentials: response = try await regenerate(request, integrationID: parameter)
        case .apiIntegration: response = try await integration(request, integrationID: parameter)
        }
        await record(response.statusCode.code)
        return response
    }

    private func token(_ request: HTTPRequest) async throws -> HTTPResponse {
        let form = Self.form(try await request.bodyData)
        guard form["grant_type"] == "client_credentials" else {
            return Self.json(400, ["error": "unsupported_grant_type", "error_description": "Only client_credentials is supported"])
        }
        guard let clientID = form["client_id"], let secret = form["client_secret"], !clientID.isEmpty else {
            return Self.json(400, ["error": "invalid_request", "error_description": "client_id and client_secret are required"])
        }
        guard let client = await state.client(clientID), !secret.isEmpty, client.secret == secret else {
            return Self.json(401, ["error": "invalid_client", "error_description": "Client authentication failed"])
        }
        let (token, lifetime) = await state.issueToken(for: client.clientID)
        return Self.json(200, ["access_token": token, "scope": "api-role:1", "token_type": "Bearer", "expires_in": Int(lifetime)])
    }

    /// The client behind the request's bearer token, or the 401 to answer.
    private func authorize(_ request: HTTPRequest) async -> Result<JamfProEmulator.APIClient, Unauthorized> {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let client = await state.bearer(String(header.dropFirst(7)))
        else {
            return .failure(Unauthorized(response: Self.jamfError(401, code: "INVALID_TOKEN", description: "Unauthorized")))
        }
        return .success(client)
    }

    struct Unauthorized: Error {
        let response: HTTPResponse
    }

    private func featureToggle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if case .failure(let denied) = await authorize(request) { return denied.response }
        return Self.json(200, ["sharedDeviceFeatureEnabled": false])
    }

    private func compliance(_ request: HTTPRequest, computerID: String) async throws -> HTTPResponse {
        if case .failure(let denied) = await authorize(request) { return denied.response }
        guard let computer = await state.computers[computerID] else {
            return Self.jamfError(404, code: "NOT_FOUND", description: "Computer \(computerID) not found")
        }
        guard let integration = await state.integration, integration.enabled else {
            return Self.jsonArray([])
        }
        // Jamf Pro keeps what the last report told Intune; a computer that never reported through
        // the emulator shows the integration as it is now.
        let works: Bool
        if let report = computer.lastReport {
            works = report.worked
        } else {
            works = await secretWorks(integration)
        }
        let reported = works && computer.applicable
        let entry: [String: Any] = [
            "deviceId": computerID,
            "applicable": computer.applicable,
            "complianceState": reported ? computer.complianceState : "UNKNOWN",
            "complianceVendor": reported ? computer.complianceVendor : NSNull(),
            "complianceVendorDeviceInformation": ["deviceIds": reported ? [computer.vendorDeviceID] : []],
        ]
        return Self.jsonArray([entry])
    }

    /// `GET /api/v1/computers-inventory/{id}?section=GENERAL`, the general section in the shape
    /// Jamf Pro 11 answers it (other sections `null`).
    private func inventory(_ request: HTTPRequest, computerID: String) async throws -> HTTPResponse {
        if case .failure(let denied) = await authorize(request) { return denied.response }
        guard let computer = await state.computers[computerID] else {
            return Self.jamfError(404, code: "NOT_FOUND", description: "Computer \(computerID) not found")
        }
        let general: [String: Any] = [
            "name": "Canary \(computerID)", "platform": "Mac", "reportDate": computer.reportDate ?? NSNull(),
            "lastContactTime": computer.reportDate ?? NSNull(), "remoteManagement": ["managed": true],
        ]
        return Self.json(200, [
            "id": computerID, "udid": computer.vendorDeviceID.uppercased(), "general": general,
            "diskEncryption": NSNull(), "hardware": NSNull(), "operatingSystem": NSNull(),
        ])
    }

    /// Makes computer `id` send an inventory report now, recording the secret the integration
    /// holds and whether Entra ID accepts it.
    func report(computerID: String, reportDate: String? = nil) async -> Bool {
        let integration = await state.integration
        let secret = integration.flatMap { $0.enabled ? $0.secret : nil } ?? ""
        let worked: Bool
        if let integration, integration.enabled { worked = await secretWorks(integration) } else { worked = false }
        return await state.report(id: computerID, secret: secret, worked: worked, reportDate: reportDate)
    }

    /// `GET /api/v1/api-integrations/{id}`, in the shape Jamf Pro answers it.
    private func integration(_ request: HTTPRequest, integrationID: String) async throws -> HTTPResponse {
        if case .failure(let denied) = await authorize(request) { return denied.response }
        guard let client = await state.client(integrationID: integrationID) else {
            return Self.jamfError(404, code: "NOT_FOUND", description: "API integration \(integrationID) not found")
        }
        return Self.json(200, [
            "id": Int(integrationID) ?? 0, "displayName": "API client \(integrationID)", "enabled": true,
            "accessTokenLifetimeSeconds": 600, "appType": "CLIENT_CREDENTIALS", "authorizationScopes": ["secrets"],
            "clientId": client.clientID,
        ])
    }

    private func regenerate(_ request: HTTPRequest, integrationID: String) async throws -> HTTPResponse {
        let caller: JamfProEmulator.APIClient
        switch await authorize(request) {
        case .failure(let denied): return denied.response
        case .success(let client): caller = client
        }
        guard caller.mayRegenerate else {
            return Self.jamfError(403, code: "INVALID_PRIVILEGE", description: "Forbidden: the API role lacks Update API Integrations")
        }
        guard let client = await state.regenerate(integrationID: integrationID) else {
            return Self.jamfError(404, code: "NOT_FOUND", description: "API integration \(integrationID) not found")
        }
        guard let hostile = await state.takeHostileRegeneration() else {
            return Self.json(200, ["clientId": client.clientID, "clientSecret": client.secret])
        }
        let secret = hostile.clientSecretLength.map { String(repeating: "A", count: max(0, $0)) } ?? hostile.clientSecret ?? client.secret
        return Self.json(200, ["clientId": hostile.clientID ?? client.clientID, "clientSecret": secret])
    }

    /// Whether the saved integration's secret works, per the validator (default: non-empty).
    func secretWorks(_ integration: JamfProEmulator.ConfiguredIntegration) async -> Bool {
        guard !integration.secret.isEmpty else { return false }
        guard let validator else { return true }
        return await validator(integration.tenant, integration.appID, integration.secret)
    }

    // MARK: Encoding

    static func json(_ status: Int, _ object: [String: Any], headers: HTTPHeaders = [:]) -> HTTPResponse {
        respond(status, object, headers: headers)
    }

    static func jsonArray(_ array: [Any]) -> HTTPResponse {
        respond(200, array, headers: [:])
    }

    private static func respond(_ status: Int, _ object: Any, headers: HTTPHeaders) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: headers, body: body)
    }

    /// Jamf Pro's error envelope.
    static func jamfError(_ status: Int, code: String, description: String) -> HTTPResponse {
        json(status, ["httpStatus": status, "errors": [["code": code, "field": NSNull(), "description": description, "id": "0"]]])
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// `application/x-www-form-urlencoded` fields.
    static func form(_ body: Data) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

/// A "response" that closes the connection without sending anything: FlyingFox hands a
/// WebSocket payload to its handler before writing a byte, and this handler fails at once.
struct JamfDropConnection: WSHandler {
    struct Dropped: Error {}

    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        throw Dropped()
    }
}

import FlyingFox
import Foundation

/// The emulator's single HTTP handler: the control API under `/_emulator/`, and for the token
/// endpoint and Graph the pipeline latency → injected fault → the operation → the request log.
struct EntraRequestHandler: HTTPHandler {
    let state: EntraEmulatorState

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.target.path(percentEncoded: false)
        if path == "/_emulator" || path.hasPrefix("/_emulator/") {
            return try await EntraControlAPI(state: state).handle(request, path: path)
        }
        let route = EntraRoute(method: request.method.rawValue, path: path)
        let arrived = Date()
        let latency = await state.configuration.latency
        if latency > .zero { try await Task.sleep(for: latency) }

        var answerDelay: Duration?
        if let operation = route.operation, let fault = await state.takeFault(for: operation) {
            switch fault {
            case .status(let code, let retryAfter):
                let response = faultResponse(code, retryAfter: retryAfter, operation: operation, request: request)
                await record(request, path: path, status: code, operation: operation, clientID: nil, time: arrived)
                return response
            case .hang(let seconds):
                try await Task.sleep(for: .seconds(seconds))
                await record(request, path: path, status: 504, operation: operation, clientID: nil, time: arrived)
                return faultResponse(504, retryAfter: nil, operation: operation, request: request)
            case .dropConnection:
                await record(request, path: path, status: 0, operation: operation, clientID: nil, time: arrived)
                return DroppedConnection.response
            case .slow(let duration):
                try await Task.sleep(for: duration)
            case .slowAnswer(let duration):
                answerDelay = duration
            }
        }

        let outcome: (response: HTTPResponse, clientID: String?)
        switch route {
        case .token(let tenant):
            outcome = await EntraTokenAPI(state: state).token(request, tenant: tenant)
        case .unknown:
            outcome = (EmulatorJSON.response(404, ["error": "not found"]), nil)
        default:
            outcome = await EntraGraphAPI(state: state).handle(route, request: request)
        }
        await record(request, path: path, status: outcome.response.statusCode.code, operation: route.operation, clientID: outcome.clientID, time: arrived)
        if let answerDelay { try await Task.sleep(for: answerDelay) }
        return outcome.response
    }

    private func record(_ request: HTTPRequest, path: String, status: Int, operation: EntraOperation?, clientID: String?, time: Date) async {
        await state.record(RecordedRequest(
            method: request.method.rawValue, path: path, query: request.target.query(percentEncoded: false),
            status: status, operation: operation, clientID: clientID, time: time
        ))
    }

    /// The answer for an injected status: the token endpoint's OAuth error shape, or Graph's.
    private func faultResponse(_ code: Int, retryAfter: Int?, operation: EntraOperation, request: HTTPRequest) -> HTTPResponse {
        var headers: [String: String] = [:]
        if code == 429 || code == 503 { headers["Retry-After"] = String(retryAfter ?? 1) }
        if operation == .token {
            var response: HTTPResponse
            switch code {
            case 429, 503:
                response = EmulatorJSON.oauthError(code, error: "temporarily_unavailable", aadsts: 90033, description: "A transient error has occurred. Please try again.")
            case 400..<500:
                response = EmulatorJSON.oauthError(code, error: "invalid_request", aadsts: 90014, description: "Injected failure.")
            default:
                response = EmulatorJSON.oauthError(code, error: "server_error", aadsts: 90033, description: "A transient error has occurred. Please try again.")
            }
            for (name, value) in headers { response.headers[HTTPHeader(name)] = value }
            return response
        }
        let (graphCode, message): (String, String) = switch code {
        case 429: ("TooManyRequests", "Too many requests; retry after the number of seconds in Retry-After.")
        case 500: ("InternalServerError", "An internal server error occurred.")
        case 502: ("BadGateway", "The gateway did not receive a valid response.")
        case 503: ("ServiceUnavailable", "The service is temporarily unavailable; retry later.")
        case 504: ("GatewayTimeout", "The request timed out.")
        case 401: ("InvalidAuthenticationToken", "Access token validation failure.")
        case 403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        case 404: ("Request_ResourceNotFound", "Resource does not exist.")
        default: ("Request_BadRequest", "Injected failure \(code).")
        }
        return EmulatorJSON.graphError(code, code: graphCode, message: message, clientRequestID: request.headers[HTTPHeader("client-request-id")], headers: headers)
    }
}

import ClientSecrets
import Foundation
import HTTPClient
import JamfPro
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

extension JamfProClient {
    /// A final answer: a status that is not retried, with its body.
    struct Response {
        var status: Int
        var body: Data
    }

    /// Sends a request, retrying 429, 5xx, timeouts and lost connections within the configured
    /// bounds; returns the first other answer. A redirect, an answer over the size limit and a
    /// refused TLS connection end the call at once.
    func send(_ operation: String, method: String, path: String, query: String? = nil, bearer: JamfAccessToken?, form: Data?) async throws -> Response {
        var url = baseURL.appendingPathComponent(String(path.dropFirst()))
        if let query, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.percentEncodedQuery = query
            url = components.url ?? url
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let bearer { request.setValue(bearer.authorization, forHTTPHeaderField: "Authorization") }
        if let form {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = form
        } else if method == "POST" {
            request.httpBody = Data()
        }

        let timeout = Self.duration(configuration.requestTimeout)
        let maximumRetryAfter = Self.duration(configuration.maximumRetryAfter)
        var lastProblem = ""
        let log = Self.log
        for attempt in 1...configuration.maximumAttempts {
            let isLast = attempt == configuration.maximumAttempts
            let http: HTTPResponse
            do {
                http = try await transport.perform(request, timeout: timeout)
            } catch let error where error.isTransient {
                if case .timedOut = error {
                    lastProblem = "no answer within \(Self.wholeSeconds(configuration.requestTimeout)) s"
                } else {
                    lastProblem = "the connection failed (\(Self.describe(error)))"
                }
                log.debug("\(method) \(path) failed: \(lastProblem)", metadata: ["attempt": "\(attempt)", "retry": "\(!isLast)"])
                if !isLast { try await Self.pause(configuration.backoff(after: attempt)) }
                continue
            } catch {
                log.debug("\(method) \(path) failed: \(Self.describe(error))", metadata: ["attempt": "\(attempt)", "retry": "false"])
                switch error {
                case .cancelled:
                    if Task.isCancelled { throw CancellationError() }
                    throw RotationFailure.unavailable("cannot reach Jamf Pro at \(host) for the \(operation): cancelled")
                case .redirected:
                    throw RotationFailure.misconfigured("Jamf Pro at \(host) could not do the \(operation): \(error.summary)")
                case .tooLarge, .compressed:
                    throw RotationFailure.unexpectedResponse("the \(operation): \(error.summary)")
                default:
                    throw RotationFailure.unavailable("cannot reach Jamf Pro at \(host) for the \(operation): \(Self.describe(error))")
                }
            }

            log.debug("\(method) \(path) -> \(http.status)", metadata: ["attempt": "\(attempt)", "operation": "\(operation)"])
            switch http.status {
            case 429:
                let wait = RetryAfter.parse(http.header("Retry-After"))
                lastProblem = "HTTP 429 (throttled)"
                if let wait, wait.exceeds(maximumRetryAfter) {
                    let limit = Self.wholeSeconds(configuration.maximumRetryAfter)
                    log.debug("not retrying: Retry-After \(wait) is longer than \(limit) s")
                    throw RotationFailure.unavailable(
                        "Jamf Pro at \(host) throttled the \(operation) and asked to wait \(wait), longer than the \(limit) s this program waits; try again later")
                }
                if !isLast {
                    let delay = wait?.seconds ?? configuration.backoff(after: attempt)
                    log.debug("retrying \(method) \(path) in \(String(format: "%.1f", delay)) s", metadata: ["retryAfter": "\(wait.map { "\($0)" } ?? "-")"])
                    try await Self.pause(delay)
                }
            case 500...599:
                lastProblem = "HTTP \(http.status)"
                if !isLast {
                    let delay = configuration.backoff(after: attempt)
                    log.debug("retrying \(method) \(path) in \(String(format: "%.1f", delay)) s")
                    try await Self.pause(delay)
                }
            default:
                return Response(status: http.status, body: http.body)
            }
        }
        log.debug("giving up on \(method) \(path) after \(configuration.maximumAttempts) attempts", metadata: ["last": "\(lastProblem)"])
        throw RotationFailure.unavailable(
            "Jamf Pro at \(host) did not complete the \(operation) after \(configuration.maximumAttempts) attempts; last: \(lastProblem)")
    }

    /// The failure for a final answer that is not a success.
    func failure(_ response: Response, operation: String, resource: String) -> RotationFailure {
        let detail = Self.errorDetail(response.body).map { ": \($0)" } ?? ""
        switch response.status {
        case 401:
            return .authenticationFailed("Jamf Pro at \(host) refused the access token for the \(operation) (HTTP 401)\(detail)")
        case 403:
            return .permissionDenied("the API client may not do the \(operation) on \(host) (HTTP 403): give its API role the privilege\(detail)")
        case 404:
            return .notFound("Jamf Pro at \(host) does not know \(resource) (HTTP 404)\(detail)")
        default:
            return .unexpectedResponse("Jamf Pro at \(host) answered the \(operation) with HTTP \(response.status)\(detail)")
        }
    }

    /// `secrets.jamf`, at `debug`: each exchange's method, path and status, and each retry
    /// decision. Never a header, a form, a token or a secret.
    static let log = Logger(label: "secrets.jamf")

    /// The codes and descriptions of a Jamf Pro API error body (`{"httpStatus", "errors": [{"code", "description"}]}`).
    static func errorDetail(_ body: Data) -> String? {
        struct Envelope: Decodable {
            struct Item: Decodable {
                var code: String?
                var description: String?
            }
            var errors: [Item]?
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: body), let errors = envelope.errors, !errors.isEmpty else { return nil }
        let text = errors.map { [$0.code, $0.description].compactMap { $0 }.joined(separator: " ") }.joined(separator: "; ")
        return text.isEmpty ? nil : clean(text)
    }

    /// What went wrong with an exchange, briefly, for messages.
    static func describe(_ error: TransportFailure) -> String {
        switch error {
        case .timedOut: return "timed out"
        case .connectionLost: return "connection lost"
        default: return error.summary
        }
    }

    /// A configured number of seconds as a `Duration`, kept within 0…10⁹ s so that no setting traps.
    static func duration(_ seconds: TimeInterval) -> Duration {
        .milliseconds(Int64((ServerSeconds.clamp(seconds, to: 0...1e9, fallback: 0) * 1000).rounded(.up)))
    }

    /// Whole seconds for messages (`1` for 0.5), without a trap for any setting.
    static func wholeSeconds(_ seconds: TimeInterval) -> Int {
        Int(ServerSeconds.clamp(seconds, to: 0...1e9, fallback: 0).rounded(.up))
    }

    static func pause(_ seconds: TimeInterval) async throws {
        try await Task.sleep(for: duration(seconds))
    }
}

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

    /// Sends a request through ``HTTPClient/RetryLoop`` (429, 500, 502, 503, 504, timeouts and
    /// lost connections retried within the configured bounds); returns the first other answer.
    /// A redirect, an answer over the size limit and a refused TLS connection end the call at once.
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

        let configuration = configuration
        let rules = RetryLoop.Rules(
            maximumAttempts: configuration.maximumAttempts, maximumTotalTime: Self.duration(configuration.maximumTotalTime),
            maximumRetryAfter: Self.duration(configuration.maximumRetryAfter),
            backoff: { Self.duration(configuration.backoff(after: $0)) })
        do {
            let answer = try await RetryLoop.send(
                request, via: transport, timeout: Self.duration(configuration.requestTimeout), rules: rules, log: Self.log,
                metadata: ["operation": "\(operation)"])
            return Response(status: answer.response.status, body: answer.response.body)
        } catch {
            switch error {
            case .notRetried(let failure):
                switch failure {
                case .cancelled:
                    if Task.isCancelled { throw CancellationError() }
                    throw RotationFailure.unavailable("cannot reach Jamf Pro at \(host) for the \(operation): cancelled")
                case .redirected:
                    throw RotationFailure.misconfigured("Jamf Pro at \(host) could not do the \(operation): \(failure.summary)")
                case .tooLarge, .compressed:
                    throw RotationFailure.unexpectedResponse("the \(operation): \(failure.summary)")
                default:
                    throw RotationFailure.unavailable("cannot reach Jamf Pro at \(host) for the \(operation): \(Self.describe(failure))")
                }
            case .waitTooLong(let wait, let last):
                let answered = if case .status(429, _) = last { "throttled" } else { "answered \(describe(last)) to" }
                throw RotationFailure.unavailable(
                    "Jamf Pro at \(host) \(answered) the \(operation) and asked to wait \(wait), longer than the \(Self.wholeSeconds(configuration.maximumRetryAfter)) s this program waits; try again later")
            case .exhausted(let attempts, _, let last):
                throw RotationFailure.unavailable(
                    "Jamf Pro at \(host) did not complete the \(operation) after \(attempts == 1 ? "1 attempt" : "\(attempts) attempts"); last: \(describe(last))")
            case .cancelledWhileWaiting:
                throw CancellationError()
            }
        }
    }

    /// A retried answer or failure, for messages.
    func describe(_ problem: RetryLoop.Problem) -> String {
        switch problem {
        case .status(429, _): return "HTTP 429 (throttled)"
        case .status(let status, _): return "HTTP \(status)"
        case .transport(.timedOut): return "no answer within \(Self.wholeSeconds(configuration.requestTimeout)) s"
        case .transport(let failure): return "the connection failed (\(Self.describe(failure)))"
        }
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

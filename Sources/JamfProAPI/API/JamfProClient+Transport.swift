import ClientSecrets
import Foundation
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
    /// bounds; returns the first other answer.
    func send(_ operation: String, method: String, path: String, bearer: JamfAccessToken?, form: Data?) async throws -> Response {
        var request = URLRequest(url: baseURL.appendingPathComponent(String(path.dropFirst())))
        request.httpMethod = method
        request.timeoutInterval = configuration.requestTimeout
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let bearer { request.setValue(bearer.authorization, forHTTPHeaderField: "Authorization") }
        if let form {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = form
        } else if method == "POST" {
            request.httpBody = Data()
        }

        var lastProblem = ""
        let log = Self.log
        for attempt in 1...configuration.maximumAttempts {
            let isLast = attempt == configuration.maximumAttempts
            let data: Data
            let http: HTTPURLResponse
            do {
                let (body, response) = try await session.data(for: request)
                guard let response = response as? HTTPURLResponse else {
                    throw RotationFailure.unexpectedResponse("Jamf Pro at \(host) did not answer the \(operation) over HTTP")
                }
                data = body
                http = response
            } catch let error as URLError where Self.isTransient(error) {
                lastProblem = error.code == .timedOut
                    ? "no answer within \(Int(configuration.requestTimeout.rounded(.up))) s" : "the connection failed (\(Self.describe(error)))"
                log.debug("\(method) \(path) failed: \(lastProblem)", metadata: ["attempt": "\(attempt)", "retry": "\(!isLast)"])
                if !isLast { try await Self.pause(configuration.backoff(after: attempt)) }
                continue
            } catch let error as URLError {
                log.debug("\(method) \(path) failed: \(Self.describe(error))", metadata: ["attempt": "\(attempt)", "retry": "false"])
                if error.code == .cancelled, Task.isCancelled { throw CancellationError() }
                throw RotationFailure.unavailable("cannot reach Jamf Pro at \(host) for the \(operation): \(Self.describe(error))")
            }

            log.debug("\(method) \(path) -> \(http.statusCode)", metadata: ["attempt": "\(attempt)", "operation": "\(operation)"])
            switch http.statusCode {
            case 429:
                let wait = Self.retryAfter(http)
                lastProblem = "HTTP 429 (throttled)"
                if let wait, wait > configuration.maximumRetryAfter {
                    log.debug("not retrying: Retry-After \(Int(wait)) s is longer than \(Int(configuration.maximumRetryAfter)) s")
                    throw RotationFailure.unavailable(
                        "Jamf Pro at \(host) throttled the \(operation) and asked to wait \(Int(wait)) s, longer than the \(Int(configuration.maximumRetryAfter)) s this program waits; try again later")
                }
                if !isLast {
                    let delay = wait ?? configuration.backoff(after: attempt)
                    log.debug("retrying \(method) \(path) in \(String(format: "%.1f", delay)) s", metadata: ["retryAfter": "\(wait.map { "\(Int($0)) s" } ?? "-")"])
                    try await Self.pause(delay)
                }
            case 500...599:
                lastProblem = "HTTP \(http.statusCode)"
                if !isLast {
                    let delay = configuration.backoff(after: attempt)
                    log.debug("retrying \(method) \(path) in \(String(format: "%.1f", delay)) s")
                    try await Self.pause(delay)
                }
            default:
                return Response(status: http.statusCode, body: data)
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

    /// Seconds from `Retry-After` (delta-seconds or an HTTP date), if present.
    static func retryAfter(_ response: HTTPURLResponse) -> TimeInterval? {
        guard let value = response.value(forHTTPHeaderField: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func isTransient(_ error: URLError) -> Bool {
        [.timedOut, .networkConnectionLost, .cannotConnectToHost, .notConnectedToInternet, .dnsLookupFailed,
         .cannotFindHost, .badServerResponse, .zeroByteResource, .cannotParseResponse].contains(error.code)
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "connection lost"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "the server's TLS certificate is not trusted"
        default: return "URL error \(error.code.rawValue)"
        }
    }

    static func pause(_ seconds: TimeInterval) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }
}

/// Refuses redirects: a bearer token or a form with a secret must reach the configured host only.
final class RedirectRefusal: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

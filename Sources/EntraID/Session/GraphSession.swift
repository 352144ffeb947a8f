import ClientSecrets
import CryptoPrimitives
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPClient
import Logging

/// The connection to Microsoft's token endpoints and Graph that every Entra ID issuer shares.
///
/// One session holds one ``HTTPTransport`` (libcurl, bounded) and a token cache, so a thousand apps rotated by one
/// rotator cost one token request, not a thousand; tokens are reused until their expiry minus
/// ``Configuration/tokenRefreshMargin`` and fetched once when many callers need one at the
/// same moment. Requests that fail in a way that may pass are retried by
/// ``Configuration/retry``. The session is safe to use from any number of tasks at once.
///
/// Every exchange goes through the shared bounded ``HTTPClient/HTTPTransport``: answers larger
/// than 1 MiB, redirects and the deadline end it; none of those is retried except the deadline.
///
/// No secret ever appears in a URL, and request bodies are never part of an error.
public final class GraphSession: Sendable {
    /// How the session talks to the services.
    public struct Configuration: Sendable, Hashable {
        /// The longest wait for one complete response (the transfer is cancelled when it passes).
        public var requestTimeout: Duration
        /// Retries of throttled, failed, timed-out or dropped requests.
        public var retry: RetryPolicy
        /// How long before its expiry a token is replaced.
        public var tokenRefreshMargin: Duration
        /// Parallel connections per host.
        public var maximumConnectionsPerHost: Int
        /// The largest response body accepted, in bytes (after any decompression).
        public var maximumBodySize: Int

        /// Creates a configuration: 30 s per request, ``RetryPolicy/standard``, tokens replaced
        /// 5 minutes before they expire, 16 connections per host, bodies of at most 1 MiB.
        public init(
            requestTimeout: Duration = .seconds(30),
            retry: RetryPolicy = .standard,
            tokenRefreshMargin: Duration = .seconds(300),
            maximumConnectionsPerHost: Int = 16,
            maximumBodySize: Int = HTTPTransport.defaultMaximumBodySize
        ) {
            self.requestTimeout = requestTimeout
            self.retry = retry
            self.tokenRefreshMargin = tokenRefreshMargin
            self.maximumConnectionsPerHost = maximumConnectionsPerHost
            self.maximumBodySize = maximumBodySize
        }
    }

    /// `secrets.entra`, at `debug`: each exchange's method, path (never the query) and status, and
    /// each retry decision. Never a header, a body, a token or a secret.
    static let log = Logger(label: "secrets.entra")

    /// How the session behaves.
    public let configuration: Configuration
    let transport: HTTPTransport
    let cache = SessionCache()

    /// Creates a session.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        transport = HTTPTransport(
            maximumConnectionsPerHost: max(1, configuration.maximumConnectionsPerHost), maximumBodySize: configuration.maximumBodySize)
    }

    /// Forgets every cached access token (the next request fetches a new one).
    public func forgetTokens() async {
        await cache.removeAllTokens()
    }

    // MARK: Sending with retries

    /// A response and how it was obtained.
    struct Exchange: Sendable {
        var response: HTTPResponse
        /// Attempts made, this one included.
        var attempts: Int
        /// True when an earlier attempt may have reached the service and done the operation
        /// (a 5xx, a timeout or a dropped connection before this answer).
        var earlierAttemptMayHaveSucceeded: Bool
    }

    /// Sends `request`, retrying by the retry policy. A response that is not retried (success
    /// or a definite error) is returned; giving up throws ``RotationFailure/unavailable(_:)``
    /// naming `operation` and what happened last. A redirect is
    /// ``RotationFailure/misconfigured(_:)`` (the URL is wrong) and an oversized answer
    /// ``RotationFailure/unexpectedResponse(_:)``, neither retried.
    func send(_ request: URLRequest, operation: String) async throws(RotationFailure) -> Exchange {
        let policy = configuration.retry
        let rules = RetryLoop.Rules(
            maximumAttempts: policy.maximumAttempts, maximumTotalTime: policy.maximumTotalTime,
            maximumRetryAfter: policy.maximumRetryAfter, backoff: { policy.delay(afterAttempt: $0, retryAfter: nil) })
        do {
            let answer = try await RetryLoop.send(
                request, via: transport, timeout: configuration.requestTimeout, rules: rules, log: Self.log, metadata: ["operation": "\(operation)"])
            return Exchange(response: answer.response, attempts: answer.attempts, earlierAttemptMayHaveSucceeded: answer.earlierAttemptMayHaveSucceeded)
        } catch {
            switch error {
            case .notRetried(let failure):
                switch failure {
                case .cancelled: throw .unavailable("\(operation): cancelled")
                case .redirected: throw .misconfigured("\(operation): \(failure.summary)")
                case .tooLarge, .compressed: throw .unexpectedResponse("\(operation): \(failure.summary)")
                default: throw .unavailable("\(operation): \(failure.summary)")
                }
            case .waitTooLong(let asked, let last):
                throw .unavailable(
                    "\(operation): \(Self.describe(last)), and asked to wait \(asked), longer than the \(policy.maximumRetryAfter.shortDescription) this program waits; try again later")
            case .exhausted(let attempts, let elapsed, let last):
                let count = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
                throw .unavailable("\(operation) failed after \(count) in \(elapsed.shortDescription); last: \(Self.describe(last))")
            case .cancelledWhileWaiting(let last):
                throw .unavailable("\(operation): cancelled while waiting to retry; last: \(Self.describe(last))")
            }
        }
    }

    /// A retried answer or failure, for messages: Graph's error code and message when it sent one.
    static func describe(_ problem: RetryLoop.Problem) -> String {
        switch problem {
        case .status(let status, let body): return ServiceError(status: status, body: body).summary
        case .transport(let failure): return failure.summary
        }
    }

    // MARK: Tokens

    /// What the token endpoint said.
    enum TokenOutcome: Sendable {
        /// A token, valid for `expiresIn` seconds (clamped to ``TokenAnswer/lifetimeRange``).
        case issued(accessToken: String, expiresIn: Double)
        /// The credentials were refused (or the request was wrong).
        case refused(ServiceError)
    }

    /// Why a cached token could not be had.
    struct TokenRefused: Error, Sendable {
        var error: ServiceError
        var authority: String
    }

    /// Asks the token endpoint for a Graph token with `credentials`, uncached (a verification).
    func requestToken(_ credentials: ClientCredentials, endpoints: EntraEndpoints, operation: String) async throws(RotationFailure) -> TokenOutcome {
        let url = endpoints.tokenURL(tenant: credentials.tenant)
        var body: Data
        do {
            body = try credentials.tokenRequestBody(scope: endpoints.scope, audience: url)
        } catch {
            throw .misconfigured("\(operation): the client assertion could not be signed (\(error)); check the certificate with `secrets cert show`")
        }
        let exchange: Exchange
        do {
            exchange = try await send(Self.tokenRequest(url, body: body), operation: operation)
            body.wipe()
        } catch {
            body.wipe()
            throw error
        }
        let response = exchange.response
        guard response.status == 200 else {
            return .refused(ServiceError(status: response.status, body: response.body))
        }
        guard let answer = TokenAnswer.parse(response.body) else {
            throw .unexpectedResponse("\(operation): the token endpoint \(endpoints.authority(tenant: credentials.tenant)) answered 200 without a well-formed access token")
        }
        return .issued(accessToken: answer.accessToken, expiresIn: answer.expiresIn)
    }

    private static func tokenRequest(_ url: URL, body: Data) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.httpBody = body
        return request
    }

    /// A Graph token for `credentials`, from the cache when it holds a valid one.
    ///
    /// - Throws: ``TokenRefused`` when the token endpoint refuses the credentials,
    ///   ``RotationFailure`` otherwise.
    func accessToken(_ credentials: ClientCredentials, endpoints: EntraEndpoints) async throws -> String {
        let key = tokenKey(credentials, endpoints)
        let margin = configuration.tokenRefreshMargin.seconds
        return try await cache.token(for: key) { [self] in
            Self.log.trace("fetching a Graph token", metadata: ["client": "\(credentials.clientID)", "tenant": "\(credentials.tenant)"])
            switch try await requestToken(credentials, endpoints: endpoints, operation: "token request for client \(credentials.clientID)") {
            case .issued(let value, let expiresIn):
                let lifetime = expiresIn
                let usable = max(lifetime - margin, lifetime / 2)
                return SessionCache.Token(value: value, refreshAt: Date().addingTimeInterval(usable))
            case .refused(let error):
                throw TokenRefused(error: error, authority: endpoints.authority(tenant: credentials.tenant))
            }
        }
    }

    private func tokenKey(_ credentials: ClientCredentials, _ endpoints: EntraEndpoints) -> SessionCache.TokenKey {
        SessionCache.TokenKey(
            login: endpoints.login.absoluteString, tenant: credentials.tenant.lowercased(),
            clientID: credentials.clientID.lowercased(), secretDigest: credentials.proofDigest, scope: endpoints.scope
        )
    }

    // MARK: Graph

    /// Calls Graph as `credentials`: `method` on `url` with an optional JSON body. A 401 (an
    /// expired or revoked token) fetches a new token once. Error statuses are returned for the
    /// caller to interpret; transient failures are retried.
    ///
    /// - Throws: ``TokenRefused`` or ``RotationFailure``.
    func graph(
        _ method: String, _ url: URL, json body: Data? = nil,
        as credentials: ClientCredentials, endpoints: EntraEndpoints, operation: String
    ) async throws -> Exchange {
        let key = tokenKey(credentials, endpoints)
        var renewed = false
        while true {
            let token = try await accessToken(credentials, endpoints: endpoints)
            var request = URLRequest(url: url)
            request.httpMethod = method
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            request.setValue(UUID().uuidString.lowercased(), forHTTPHeaderField: "client-request-id")
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = body
            }
            let exchange = try await send(request, operation: operation)
            if exchange.response.status == 401, !renewed {
                Self.log.debug("Graph answered 401: the cached token is dropped and a new one fetched", metadata: ["operation": "\(operation)"])
                renewed = true
                await cache.invalidate(key, value: token)
                continue
            }
            return exchange
        }
    }
}

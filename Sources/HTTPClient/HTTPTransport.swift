import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One bounded HTTP exchange at a time over a shared `URLSession`: the one HTTP layer under
/// Microsoft Graph, the Entra ID token endpoint and the Jamf Pro API.
///
/// Every byte a server sends is untrusted, so an exchange is bounded three ways:
///
/// - **Size.** At most ``maximumBodySize`` bytes of body are kept, counted as URLSession delivers
///   them, that is after any decompression libcurl applies. `Accept-Encoding: identity` asks for
///   no compression; a server that compresses anyway gains nothing, since the inflated bytes are
///   what is counted. The transfer is cancelled the moment the limit is passed (or at once, when
///   `Content-Length` announces more) and the exchange fails with ``TransportFailure/tooLarge(host:limit:)``.
///   A `Content-Encoding` other than `identity` is refused at the headers
///   (``TransportFailure/compressed(host:encoding:)``): libcurl inflates a whole network read at a
///   time, faster than any delegate can stop it, so a gzip bomb must not get as far as the inflater.
/// - **Time.** The deadline is enforced here rather than left to `URLRequest.timeoutInterval`,
///   whose meaning differs between platforms (idle time on Apple's, total time elsewhere, and a
///   trickling or endless body resets neither reliably): when it passes, the caller gets
///   ``TransportFailure/timedOut(_:)`` at once and the task is cancelled behind it.
/// - **Redirects.** None is followed, so a request body that holds a client secret or a bearer
///   token never goes elsewhere; a 3xx fails as ``TransportFailure/redirected(host:status:target:)``
///   rather than passing for an answer (a token endpoint's 302 is not a refusal of credentials).
public final class HTTPTransport: Sendable {
    /// The default body limit: 1 MiB. Graph, token and Jamf Pro answers this tool reads are a few
    /// kilobytes; an application with many credentials stays far below it.
    public static let defaultMaximumBodySize = 1 << 20

    /// The largest body accepted, in bytes.
    public let maximumBodySize: Int
    private let session: URLSession
    private let router: ExchangeRouter

    /// Creates a transport with its own `URLSession`: no cookies, no cache, `maximumConnectionsPerHost`
    /// parallel connections per host, bodies of at most `maximumBodySize` bytes.
    public init(maximumConnectionsPerHost: Int = 16, maximumBodySize: Int = HTTPTransport.defaultMaximumBodySize) {
        self.maximumBodySize = max(1, maximumBodySize)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maximumConnectionsPerHost)
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        router = ExchangeRouter()
        #if canImport(FoundationNetworking)
        // See InlineOperationQueue: the back-pressure that keeps an endless body out of memory.
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: InlineOperationQueue())
        #else
        session = URLSession(configuration: configuration, delegate: router, delegateQueue: nil)
        #endif
    }

    deinit {
        // From another thread: invalidating waits for the session's queue, which a hostile
        // transfer may keep busy (libcurl inflating a gzip bomb between two chances to cancel).
        let session = session
        DispatchQueue.global().async { session.invalidateAndCancel() }
    }

    /// Sends `request` and waits at most `timeout` for the whole response.
    ///
    /// - Throws: ``TransportFailure``; a 3xx answer is ``TransportFailure/redirected(host:status:target:)``.
    public func perform(_ request: URLRequest, timeout: Duration) async throws(TransportFailure) -> HTTPResponse {
        var request = request
        // A backstop only; the exchange's own deadline is the one that counts.
        request.timeoutInterval = min(timeout.seconds, 86_400) + 5
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        let host = request.url?.host ?? "the server"
        let limit = maximumBodySize
        let session = session, router = router
        let exchange = Exchange(host: host, limit: limit, timeout: timeout, requestURL: request.url)
        let result: Result<HTTPResponse, TransportFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, TransportFailure>, Never>) in
                exchange.wait(continuation)
                let task = session.dataTask(with: request)
                router.register(exchange, for: task)
                exchange.start(task)
            }
        } onCancel: {
            exchange.cancel()
        }
        return try result.get()
    }

    /// `1 MiB`, `64 KiB` or `300 bytes`, for messages.
    public static func describeSize(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

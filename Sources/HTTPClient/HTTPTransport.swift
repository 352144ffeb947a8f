import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One bounded HTTP exchange at a time per call, over libcurl: the one HTTP layer under
/// Microsoft Graph, the Entra ID token endpoint and the Jamf Pro API.
///
/// Every byte a server sends is untrusted, so an exchange is bounded three ways:
///
/// - **Size.** At most ``maximumBodySize`` bytes of body are kept, counted as they arrive in
///   libcurl's write callback, which stops the transfer the moment the limit is passed (or at
///   the headers, when `Content-Length` announces more): ``TransportFailure/tooLarge(host:limit:)``.
///   Nothing is decompressed: `Accept-Encoding: identity` asks for no compression, libcurl is
///   given no `CURLOPT_ACCEPT_ENCODING` (so it runs no inflater), and a `Content-Encoding` other
///   than `identity` is refused at the headers (``TransportFailure/compressed(host:encoding:)``).
///   A gzip bomb is a few kilobytes of bytes nobody inflates. (URLSession, used before, inflated
///   a whole network read at a time on a queue every session shares, faster than any delegate
///   could stop it.)
/// - **Time.** libcurl's `CURLOPT_TIMEOUT_MS` bounds the whole transfer, body included, and the
///   caller is resumed at the deadline in any case, with ``TransportFailure/timedOut(_:)``; the
///   transfer stops at libcurl's next progress callback (at least once a second).
/// - **Redirects.** None is followed, so a request body that holds a client secret or a bearer
///   token never goes elsewhere; a 3xx fails as ``TransportFailure/redirected(host:status:target:)``
///   rather than passing for an answer (a token endpoint's 302 is not a refusal of credentials).
///
/// Each transfer blocks a thread of its own, never one of Swift's cooperative threads; the easy
/// handles (and with them open connections) are kept for the next request.
public final class HTTPTransport: Sendable {
    /// The default body limit: 1 MiB. Graph, token and Jamf Pro answers this tool reads are a few
    /// kilobytes; an application with many credentials stays far below it.
    public static let defaultMaximumBodySize = 1 << 20

    /// The largest body accepted, in bytes.
    public let maximumBodySize: Int
    private let handles: CurlHandlePool

    /// Creates a transport that keeps up to `maximumConnectionsPerHost` idle handles (each with
    /// its connections) and accepts bodies of at most `maximumBodySize` bytes.
    public init(maximumConnectionsPerHost: Int = 16, maximumBodySize: Int = HTTPTransport.defaultMaximumBodySize) {
        self.maximumBodySize = max(1, maximumBodySize)
        handles = CurlHandlePool(capacity: maximumConnectionsPerHost)
    }

    /// Sends `request` and waits at most `timeout` for the whole response.
    ///
    /// - Throws: ``TransportFailure``; a 3xx answer is ``TransportFailure/redirected(host:status:target:)``.
    public func perform(_ request: URLRequest, timeout: Duration) async throws(TransportFailure) -> HTTPResponse {
        let host = request.url?.host ?? "the server"
        let exchange = CurlExchange(host: host, limit: maximumBodySize, timeout: timeout, requestURL: request.url)
        let handles = handles
        let result: Result<HTTPResponse, TransportFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, TransportFailure>, Never>) in
                exchange.wait(continuation)
                let thread = Thread {
                    guard let handle = handles.take() else {
                        exchange.fail(.other("libcurl could not make a transfer handle"))
                        return
                    }
                    exchange.run(request, on: handle)
                    handles.give(back: handle)
                }
                thread.name = "secrets-http"
                thread.start()
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

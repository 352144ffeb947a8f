import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange over the shared `URLSession`, with a deadline of its own and no redirects.
///
/// The deadline is enforced here rather than left to `URLRequest.timeoutInterval`, whose meaning
/// differs between platforms (idle time on Apple's, total time elsewhere): when it passes the
/// task is cancelled and the exchange fails with ``TransportFailure/timedOut``. Redirects are
/// refused so that a token request body (which holds a client secret) never follows one.
final class HTTPTransport: Sendable {
    /// What a finished exchange returned.
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// A header, by case-insensitive name.
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    private let session: URLSession

    init(maximumConnectionsPerHost: Int) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = maximumConnectionsPerHost
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// Sends `request` and waits at most `timeout` for the whole response.
    func perform(_ request: URLRequest, timeout: Duration) async throws(TransportFailure) -> Response {
        var request = request
        // A backstop only; the deadline below is the one that counts.
        request.timeoutInterval = timeout.seconds + 5
        let exchange = Exchange()
        let result: Result<Response, TransportFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Response, TransportFailure>, Never>) in
                let task = session.dataTask(with: request) { data, response, error in
                    let outcome: Result<Response, TransportFailure>
                    if let error {
                        outcome = .failure(exchange.failure(for: error, timeout: timeout))
                    } else if let http = response as? HTTPURLResponse {
                        var headers: [String: String] = [:]
                        for (name, value) in http.allHeaderFields {
                            headers[String(describing: name)] = String(describing: value)
                        }
                        outcome = .success(Response(status: http.statusCode, headers: headers, body: data ?? Data()))
                    } else {
                        outcome = .failure(.other("the answer was not an HTTP response"))
                    }
                    if exchange.finish() { continuation.resume(returning: outcome) }
                }
                exchange.start(task, timeout: timeout)
            }
        } onCancel: {
            exchange.cancel()
        }
        return try result.get()
    }
}

/// The state one exchange shares between the caller, URLSession's completion and the deadline.
private final class Exchange: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var timer: Task<Void, Never>?
    private var timedOut = false
    private var cancelled = false
    private var finished = false

    func start(_ task: URLSessionDataTask, timeout: Duration) {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.expire()
        }
        let cancelledEarly = lock.withLock {
            self.task = task
            self.timer = timer
            return cancelled
        }
        // Resumed even when already cancelled, so that the completion handler runs either way.
        task.resume()
        if cancelledEarly { task.cancel() }
    }

    private func expire() {
        let task: URLSessionDataTask? = lock.withLock {
            guard !finished else { return nil }
            timedOut = true
            return self.task
        }
        task?.cancel()
    }

    func cancel() {
        let task: URLSessionDataTask? = lock.withLock {
            cancelled = true
            return self.task
        }
        // Called from a task's cancellation handler, which holds that task's status lock:
        // URLSessionTask.cancel() waits for the session's queue, which may be resuming this very
        // task (and so waiting for that lock). Cancelling from another thread breaks the cycle.
        if let task { DispatchQueue.global().async { task.cancel() } }
    }

    /// Marks the exchange finished; true the first time only.
    func finish() -> Bool {
        lock.withLock {
            guard !finished else { return false }
            finished = true
            timer?.cancel()
            return true
        }
    }

    func failure(for error: any Error, timeout: Duration) -> TransportFailure {
        let (timedOut, cancelled) = lock.withLock { (self.timedOut, self.cancelled) }
        if timedOut { return .timedOut(timeout) }
        if cancelled { return .cancelled }
        guard let error = error as? URLError else { return .other(error.localizedDescription) }
        switch error.code {
        case .timedOut: return .timedOut(timeout)
        case .networkConnectionLost, .badServerResponse, .zeroByteResource, .cannotParseResponse:
            return .connectionLost
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .resourceUnavailable:
            return .cannotConnect(error.localizedDescription)
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .insecure(error.localizedDescription)
        case .cancelled: return .cancelled
        default: return .other("\(error.localizedDescription) (URLError \(error.code.rawValue))")
        }
    }
}

/// Refuses every redirect: the 3xx response itself is returned to the caller.
private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

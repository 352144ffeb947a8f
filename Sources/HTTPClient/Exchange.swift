import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The state one exchange shares between the caller, URLSession's delegate callbacks and the
/// deadline. Whichever ends it first (the last byte, the size limit, a redirect, the deadline,
/// the caller's cancellation) resumes the caller; everything after is dropped.
final class Exchange: @unchecked Sendable {
    typealias Outcome = Result<HTTPResponse, TransportFailure>

    private let host: String
    private let limit: Int
    private let timeout: Duration
    private let requestURL: URL?
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Outcome, Never>?
    private var task: URLSessionDataTask?
    private var timer: Task<Void, Never>?
    private var response: HTTPURLResponse?
    private var body = Data()
    private var cancelledEarly = false
    private var finished = false

    init(host: String, limit: Int, timeout: Duration, requestURL: URL?) {
        self.host = host
        self.limit = limit
        self.timeout = timeout
        self.requestURL = requestURL
    }

    /// Takes the caller's continuation; called before ``start(_:)``.
    func wait(_ continuation: CheckedContinuation<Outcome, Never>) {
        lock.withLock { self.continuation = continuation }
    }

    /// Starts `task` and the deadline.
    func start(_ task: URLSessionDataTask) {
        let timeout = timeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.finish(.failure(.timedOut(timeout)), stopping: true)
        }
        let cancelled = lock.withLock {
            self.task = task
            self.timer = timer
            return cancelledEarly
        }
        task.resume()
        if cancelled { finish(.failure(.cancelled), stopping: true) }
    }

    /// The caller's task was cancelled.
    func cancel() {
        let started = lock.withLock {
            cancelledEarly = true
            return task != nil
        }
        if started { finish(.failure(.cancelled), stopping: true) }
    }

    // MARK: From the session's delegate

    /// What to do with a transfer whose response head arrived.
    enum Disposition {
        /// Go on reading the body.
        case allow
        /// Cancel it (a redirect, a body announced too large).
        case cancel
    }

    /// The response head arrived.
    func received(_ response: URLResponse) -> Disposition {
        guard let http = response as? HTTPURLResponse else {
            finish(.failure(.other("the answer was not an HTTP response")), stopping: true)
            return .cancel
        }
        if (300...399).contains(http.statusCode) {
            let target = Self.origin(of: http.value(forHTTPHeaderField: "Location"), relativeTo: requestURL)
            finish(.failure(.redirected(host: host, status: http.statusCode, target: target)), stopping: true)
            return .cancel
        }
        if let encoding = http.value(forHTTPHeaderField: "Content-Encoding")?.trimmingCharacters(in: .whitespaces),
           !encoding.isEmpty, encoding.lowercased() != "identity" {
            finish(.failure(.compressed(host: host, encoding: Self.token(encoding))), stopping: true)
            // Not `.cancel`: on that path libcurl, paused meanwhile, buffers up to 64 MiB of
            // inflated body. Allowed, every piece comes here and is dropped until the cancel lands.
            return .allow
        }
        if http.expectedContentLength > Int64(limit) {
            finish(.failure(.tooLarge(host: host, limit: limit)), stopping: true)
            return .cancel
        }
        return lock.withLock {
            guard !finished else { return .allow }
            self.response = http
            return .allow
        }
    }

    /// A piece of the body arrived (decompressed, if the server compressed it).
    func received(_ data: Data) {
        let overflow: Bool = lock.withLock {
            guard !finished else { return false }
            guard data.count <= limit - body.count else { return true }
            body.append(data)
            return false
        }
        if overflow { finish(.failure(.tooLarge(host: host, limit: limit)), stopping: true) }
    }

    /// URLSession finished the task, with `error` if it failed.
    func completed(_ error: (any Error)?) {
        let outcome: Outcome
        if let error {
            outcome = .failure(TransportFailure.from(error, timeout: timeout))
        } else {
            let (response, body) = lock.withLock { (self.response, self.body) }
            guard let response else {
                finish(.failure(.other("the answer was not an HTTP response")), stopping: false)
                return
            }
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                headers[String(describing: name)] = String(describing: value)
            }
            outcome = .success(HTTPResponse(status: response.statusCode, headers: headers, body: body))
        }
        finish(outcome, stopping: false)
    }

    /// Resumes the caller with `outcome` the first time only; `stopping` cancels the transfer too.
    private func finish(_ outcome: Outcome, stopping: Bool) {
        let (continuation, timer, task): (CheckedContinuation<Outcome, Never>?, Task<Void, Never>?, URLSessionDataTask?) = lock.withLock {
            guard !finished else { return (nil, nil, nil) }
            finished = true
            body = Data()
            defer { self.continuation = nil }
            return (self.continuation, self.timer, self.task)
        }
        guard let continuation else { return }
        timer?.cancel()
        continuation.resume(returning: outcome)
        // Cancelled from another thread: this may run in a task's cancellation handler (holding
        // that task's status lock) or on the session's delegate queue, and URLSessionTask.cancel()
        // waits for the session's own queue, which may be waiting for either.
        if stopping, let task { DispatchQueue.global().async { task.cancel() } }
    }

    /// A header value fit for a message: letters, digits and `-._,` only, at most 32 characters.
    static func token(_ text: String) -> String {
        let kept = String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._, ".unicodeScalars.contains($0)) }.prefix(32))
        return kept.isEmpty ? "unreadable" : kept
    }

    /// `https://host[:port]` of a `Location`, never its path or query (which a hostile server
    /// could fill with anything); a phrase when there is none.
    static func origin(of location: String?, relativeTo base: URL?) -> String {
        guard let location, !location.isEmpty else { return "no location" }
        guard let url = URL(string: location, relativeTo: base)?.absoluteURL, let scheme = url.scheme, let host = url.host,
              scheme.count <= 16, host.count <= 253,
              (scheme + host).unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F })
        else { return "an unreadable location" }
        return "\(scheme.lowercased())://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }
}

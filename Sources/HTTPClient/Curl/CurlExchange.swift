import CCurl
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The state one exchange shares between the caller, libcurl's callbacks (on the transfer's own
/// thread) and the deadline. Whichever ends it first (the last byte, the size limit, a redirect,
/// a compressed answer, the deadline, the caller's cancellation) resumes the caller; the transfer
/// is stopped at libcurl's next callback, and nothing it reads after that is kept.
final class CurlExchange: @unchecked Sendable {
    typealias Outcome = Result<HTTPResponse, TransportFailure>

    /// The most header bytes accepted (libcurl's own cap on one header line is 100 KiB).
    static let maximumHeaderBytes = 64 << 10

    private let host: String
    private let limit: Int
    private let timeout: Duration
    private let requestURL: URL?
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Outcome, Never>?
    private var timer: Task<Void, Never>?
    private var cancelledEarly = false
    private var finished = false

    // Touched only by the transfer's thread (libcurl calls back on the thread that performs).
    private var status = 0
    private var headers: [String: String] = [:]
    private var headerBytes = 0
    private var body = Data()

    init(host: String, limit: Int, timeout: Duration, requestURL: URL?) {
        self.host = host
        self.limit = limit
        self.timeout = timeout
        self.requestURL = requestURL
    }

    /// Takes the caller's continuation and starts the deadline; called before ``run(_:on:)``.
    func wait(_ continuation: CheckedContinuation<Outcome, Never>) {
        lock.withLock { self.continuation = continuation }
        let timeout = timeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.finish(.failure(.timedOut(timeout)))
        }
        let (cancelled, done) = lock.withLock {
            self.timer = timer
            return (cancelledEarly, finished)
        }
        if done { timer.cancel() }
        if cancelled { finish(.failure(.cancelled)) }
    }

    /// The caller's task was cancelled.
    func cancel() {
        lock.withLock { cancelledEarly = true }
        finish(.failure(.cancelled))
    }

    /// Ends the exchange with `failure` (when nothing ended it before).
    func fail(_ failure: TransportFailure) { finish(.failure(failure)) }

    /// Whether the exchange has ended: the transfer is stopped at libcurl's next callback.
    var isFinished: Bool { lock.withLock { finished } }

    /// Performs `request` on `handle`, blocking the calling thread (never one of Swift's
    /// cooperative threads) until libcurl returns.
    func run(_ request: URLRequest, on handle: CurlHandle) {
        guard !isFinished else { return }
        guard let url = request.url?.absoluteString else { return finish(.failure(.other("the request has no URL"))) }
        var fields = request.allHTTPHeaderFields ?? [:]
        // No `Expect: 100-continue` pause before a body, and no compression (see HTTPTransport).
        fields["Expect"] = ""
        fields["Accept-Encoding"] = "identity"
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            // "Name:" with nothing after it is how libcurl is told to send no such header.
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        let milliseconds = max(1, Int(min(timeout.seconds, 86_400) * 1000))
        let context = Unmanaged.passUnretained(self).toOpaque()
        let method = (request.httpMethod ?? "GET").uppercased()
        var payload = [UInt8](request.httpBody ?? Data())
        defer { payload.withUnsafeMutableBytes { bytes in _ = bytes.initializeMemory(as: UInt8.self, repeating: 0) } }
        let code: CURLcode = payload.withUnsafeBufferPointer { bytes in
            handle.configure(url: url, headers: list, timeoutMilliseconds: milliseconds, context: context)
            handle.setMethod(method, body: request.httpBody == nil ? nil : bytes)
            return curl_easy_perform(handle.easy)
        }
        if code == CURLE_OK {
            var response = 0
            _ = ccurl_response_code(handle.easy, &response)
            let (headers, body) = (self.headers, self.body)
            self.body = Data()
            if (300...399).contains(response) { return finish(.failure(redirect(status: response))) }
            return finish(.success(HTTPResponse(status: response, headers: headers, body: body)))
        }
        body = Data()
        finish(.failure(TransportFailure.from(code, timeout: timeout)))
    }

    // MARK: From libcurl's callbacks

    /// One header line (status lines included); false stops the transfer.
    func header(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isFinished else { return false }
        headerBytes += bytes.count
        guard headerBytes <= Self.maximumHeaderBytes else {
            finish(.failure(.other("\(host) sent more than \(HTTPTransport.describeSize(Self.maximumHeaderBytes)) of headers; refusing them")))
            return false
        }
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new head (after a `100 Continue`, or the final one): what came before is dropped.
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
            return true
        }
        guard line.isEmpty else {
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
            return true
        }
        // The end of a head: decide before a single byte of its body is read.
        if (100...199).contains(status) { return true }
        if (300...399).contains(status) {
            finish(.failure(redirect(status: status)))
            return false
        }
        if let encoding = value(of: "Content-Encoding"), !encoding.isEmpty, encoding.lowercased() != "identity" {
            finish(.failure(.compressed(host: host, encoding: Self.token(encoding))))
            return false
        }
        if let length = value(of: "Content-Length").flatMap({ Int64($0) }), length > Int64(limit) {
            finish(.failure(.tooLarge(host: host, limit: limit)))
            return false
        }
        return true
    }

    /// A piece of the body, as the server sent it (libcurl inflates nothing: no
    /// `CURLOPT_ACCEPT_ENCODING`); false stops the transfer.
    func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isFinished else { return false }
        guard bytes.count <= limit - body.count else {
            body = Data()
            finish(.failure(.tooLarge(host: host, limit: limit)))
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    private func value(of name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    private func redirect(status: Int) -> TransportFailure {
        .redirected(host: host, status: status, target: Self.origin(of: value(of: "Location"), relativeTo: requestURL))
    }

    /// Resumes the caller with `outcome` the first time only.
    private func finish(_ outcome: Outcome) {
        let (continuation, timer): (CheckedContinuation<Outcome, Never>?, Task<Void, Never>?) = lock.withLock {
            // Before ``wait(_:)`` there is no one to resume: a cancellation then is kept in
            // `cancelledEarly` and acted on by `wait`.
            guard !finished, self.continuation != nil else { return (nil, nil) }
            finished = true
            defer { self.continuation = nil }
            return (self.continuation, self.timer)
        }
        guard let continuation else { return }
        timer?.cancel()
        continuation.resume(returning: outcome)
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

import CCurl
import Foundation

/// One libcurl easy handle, used by one transfer at a time. Between transfers it is reset but
/// kept (``CurlHandlePool``), so its connection cache lets the next request to the same host skip
/// the TCP and TLS handshakes.
final class CurlHandle {
    let easy: UnsafeMutableRawPointer

    init?() {
        CurlHandle.initializeOnce
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
    }

    deinit { curl_easy_cleanup(easy) }

    /// libcurl's global set-up, once per process before the first handle.
    private static let initializeOnce: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// What every transfer sets: the URL, the headers, the deadline and the callbacks, with
    /// `context` (an unretained ``CurlExchange``) handed back to them.
    func configure(url: String, headers: UnsafeMutablePointer<curl_slist>?, timeoutMilliseconds: Int, context: UnsafeMutableRawPointer) {
        _ = ccurl_set_string(easy, CURLOPT_URL, url)
        _ = ccurl_set_pointer(easy, CURLOPT_HTTPHEADER, headers)
        // Threads, not signals, for timeouts (this runs on many threads of one process).
        _ = ccurl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        // Never followed: a request body that holds a secret or a token never goes elsewhere.
        _ = ccurl_set_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        // The whole transfer, body included, not an idle time: a trickling answer ends here too.
        _ = ccurl_set_long(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        _ = ccurl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeoutMilliseconds)
        _ = ccurl_set_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = ccurl_set_pointer(easy, CURLOPT_HEADERDATA, context)
        _ = ccurl_set_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = ccurl_set_pointer(easy, CURLOPT_WRITEDATA, context)
        // Called at least once a second, and between reads: how a deadline or a cancellation
        // from another thread stops a transfer that is waiting for bytes.
        _ = ccurl_set_long(easy, CURLOPT_NOPROGRESS, 0)
        _ = ccurl_set_progress_callback(easy, curlProgressCallback)
        _ = ccurl_set_pointer(easy, CURLOPT_XFERINFODATA, context)
    }

    /// The method, and the body if there is one (`body` must stay valid until the transfer ends;
    /// libcurl reads it in place, so no copy of a secret is left in libcurl's memory).
    func setMethod(_ method: String, body: UnsafeBufferPointer<UInt8>?) {
        if let body {
            _ = ccurl_set_long(easy, CURLOPT_POST, 1)
            _ = ccurl_set_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            if let start = body.baseAddress, !body.isEmpty {
                _ = ccurl_set_pointer(easy, CURLOPT_POSTFIELDS, start)
            } else {
                _ = ccurl_set_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            }
            if method != "POST" { _ = ccurl_set_string(easy, CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "GET" {
            _ = ccurl_set_long(easy, CURLOPT_HTTPGET, 1)
        } else if method == "HEAD" {
            _ = ccurl_set_long(easy, CURLOPT_NOBODY, 1)
        } else {
            _ = ccurl_set_string(easy, CURLOPT_CUSTOMREQUEST, method)
        }
    }

    /// Back to a blank handle for the next transfer; its connections stay cached.
    func reset() { curl_easy_reset(easy) }
}

/// Idle handles, so that consecutive requests reuse connections.
final class CurlHandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [CurlHandle] = []
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// An idle handle, or a new one; nil only when libcurl cannot make one.
    func take() -> CurlHandle? {
        lock.withLock { idle.popLast() } ?? CurlHandle()
    }

    /// Returns `handle` after its transfer (dropped when enough are idle already).
    func give(back handle: CurlHandle) {
        handle.reset()
        lock.withLock {
            if idle.count < capacity { idle.append(handle) }
        }
    }
}

// libcurl's callbacks: plain C functions; the exchange travels in their context pointer.

private let curlHeaderCallback: ccurl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return exchange.header(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private let curlWriteCallback: ccurl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return exchange.received(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private let curlProgressCallback: ccurl_progress_callback = { context, _, _, _, _ in
    guard let context else { return 1 }
    return Unmanaged<CurlExchange>.fromOpaque(context).takeUnretainedValue().isFinished ? 1 : 0
}

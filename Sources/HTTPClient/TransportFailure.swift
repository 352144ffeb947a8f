import CCurl
import Foundation

/// Why an exchange produced no usable HTTP response.
public enum TransportFailure: Error, Sendable, Equatable {
    /// No complete response within the deadline.
    case timedOut(Duration)
    /// The connection was closed before a response arrived (or reset).
    case connectionLost
    /// The server could not be reached (refused, unreachable, DNS).
    case cannotConnect(String)
    /// The TLS handshake or the server's certificate failed: retrying will not help.
    case insecure(String)
    /// The caller's task was cancelled.
    case cancelled
    /// `host` sent more than `limit` bytes of body (counted after any decompression); the
    /// transfer was stopped there. Another attempt would only fetch the same flood.
    case tooLarge(host: String, limit: Int)
    /// `host` compressed its answer (`encoding`) although `Accept-Encoding: identity` asked it not
    /// to. Refused at the headers, before a decompressor (a gzip bomb's ally) runs.
    case compressed(host: String, encoding: String)
    /// `host` answered with a redirect (`status`) towards `target` (the origin of its
    /// `Location`, or a phrase when it gave none), which is never followed.
    case redirected(host: String, status: Int, target: String)
    /// Anything else.
    case other(String)

    /// Whether another attempt may succeed.
    public var isTransient: Bool {
        switch self {
        case .timedOut, .connectionLost, .cannotConnect: return true
        case .insecure, .cancelled, .tooLarge, .compressed, .redirected, .other: return false
        }
    }

    /// What happened, in one line, for messages.
    public var summary: String {
        switch self {
        case .timedOut(let limit): return "no response within \(limit.shortDescription)"
        case .connectionLost: return "the connection was closed without a response"
        case .cannotConnect(let reason): return "cannot connect (\(reason))"
        case .insecure(let reason): return "secure connection failed (\(reason))"
        case .cancelled: return "cancelled"
        case .tooLarge(let host, let limit):
            return "\(host) answered with more than \(HTTPTransport.describeSize(limit)); refusing it"
        case .compressed(let host, let encoding):
            return "\(host) answered with a compressed body (Content-Encoding: \(encoding)) although none was asked for; refusing it"
        case .redirected(let host, let status, let target):
            return "\(host) answered with a redirect (HTTP \(status)) to \(target); redirects are not followed: check the URL"
        case .other(let reason): return reason
        }
    }

    /// The failure for libcurl's result `code`, when neither a callback, the deadline nor the
    /// caller ended the exchange first. Only libcurl's fixed descriptions are quoted, never text a
    /// server could have put in its error buffer.
    static func from(_ code: CURLcode, timeout: Duration) -> TransportFailure {
        let described = curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(timeout)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2,
             CURLE_HTTP2_STREAM:
            return .connectionLost
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .cannotConnect(described)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED:
            return .insecure(described)
        case CURLE_ABORTED_BY_CALLBACK, CURLE_WRITE_ERROR:
            return .cancelled
        default:
            return .other("\(described) (curl error \(code.rawValue))")
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in seconds with one decimal, for messages (`2.3 s`).
    public var shortDescription: String {
        String(format: "%.1f s", seconds)
    }
}

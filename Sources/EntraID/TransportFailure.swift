/// Why an exchange produced no HTTP response.
enum TransportFailure: Error, Sendable, Equatable {
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
    /// Anything else.
    case other(String)

    /// Whether another attempt may succeed.
    var isTransient: Bool {
        switch self {
        case .timedOut, .connectionLost, .cannotConnect: return true
        case .insecure, .cancelled, .other: return false
        }
    }

    /// What happened, for messages.
    var summary: String {
        switch self {
        case .timedOut(let limit): return "no response within \(limit.shortDescription)"
        case .connectionLost: return "the connection was closed without a response"
        case .cannotConnect(let reason): return "cannot connect (\(reason))"
        case .insecure(let reason): return "secure connection failed (\(reason))"
        case .cancelled: return "cancelled"
        case .other(let reason): return reason
        }
    }
}

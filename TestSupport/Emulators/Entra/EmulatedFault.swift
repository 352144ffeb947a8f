/// A failure the Entra ID emulator produces instead of (or before) the normal answer.
public enum EmulatedFault: Sendable, Hashable {
    /// Answers with this HTTP status and the service's error body: 429 carries a `Retry-After`
    /// header (`retryAfter` seconds, default 1) and Graph's `TooManyRequests` error, 5xx a Graph
    /// error (the token endpoint answers in its OAuth error shape instead).
    case status(Int, retryAfter: Int? = nil)
    /// Holds the request for `seconds`, then answers 504 without doing the operation: a client
    /// with a shorter timeout sees a timeout.
    case hang(seconds: Double)
    /// Closes the connection without sending a single byte of a response.
    case dropConnection
    /// Waits, then does the operation and answers normally (a client that gave up meanwhile
    /// does not learn that the operation happened).
    case slow(Duration)
    /// Does the operation at once, then waits before answering: a client that dies or gives up
    /// meanwhile has changed the directory without learning it (a lost answer).
    case slowAnswer(Duration)
}

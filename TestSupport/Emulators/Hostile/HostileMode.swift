/// How a ``HostileServer`` answers every request: each mode is one way a compromised or spoofed
/// Graph, token or Jamf Pro endpoint can try to exhaust, crash or mislead a client.
public enum HostileMode: String, CaseIterable, Sendable {
    /// 200 with `Content-Length` of ``HostileServer/hugeBodySize`` bytes (1 GiB by default),
    /// streamed for as long as the client reads.
    case hugeBody
    /// 200 with `Transfer-Encoding: chunked` and chunks that never end.
    case endlessChunked
    /// 200 with `Content-Encoding: gzip`: a few MiB that inflate to several GiB of zeros.
    case gzipBomb
    /// 429 with a `Retry-After` that no integer holds, taken in turn from
    /// ``HostileServer/retryAfterValues`` (`99999999999999999`, `inf`, `-1`, `1e308`).
    case retryAfterOverflow
    /// Token requests (any path ending in `/token`) answered 200 with a token whose `expires_in`
    /// is `1e308` or `99999999999999999999`, in turn; every other request 404.
    case hugeExpiresIn
    /// Token requests answered 200 with an `access_token` holding a line break and a header of
    /// its own (`hostile\r\nX-Hostile: …`), which would add a header to every later request; every
    /// other request 404.
    case headerInjectingToken
    /// 302 to another host, with the hostile marker in the body.
    case redirect
    /// 200 announcing 1,000 bytes, then sending one byte per second.
    case slowDrip
}

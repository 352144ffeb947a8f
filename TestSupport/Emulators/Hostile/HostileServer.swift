import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback HTTP server that answers every request in one hostile way (``HostileMode``), to
/// check that a client stays bounded in time and memory, does not crash, and reports a clear
/// failure. Requests its ``routes`` match get their fixed answers instead, so a client can get
/// past a token request to the one call under attack (or get a hostile value in a well-formed answer).
///
/// It speaks HTTP/1.1 over plain POSIX sockets rather than FlyingFox: the modes need byte-level
/// control (a `Content-Length` that is never honoured, chunks that never end, a body sent one
/// byte a second) and must stop writing the moment the client goes away. Each connection is
/// served on its own thread, one request per connection (`Connection: close`).
public final class HostileServer: @unchecked Sendable {
    /// The marker every hostile body repeats: a client's output must never contain it.
    public static let marker = "HOSTILE-BODY"

    /// How every request is answered.
    public let mode: HostileMode
    /// The `Content-Length` ``HostileMode/hugeBody`` announces (and streams while the client reads).
    public let hugeBodySize: Int
    /// The `Retry-After` values ``HostileMode/retryAfterOverflow`` sends, one per request, in turn.
    public let retryAfterValues: [String]
    /// The compressed size of the ``HostileMode/gzipBomb`` body (it inflates about 1,032 times).
    public let gzipBombSize: Int
    /// Requests answered normally rather than in ``mode``.
    public let routes: [HostileRoute]

    private let lock = NSLock()
    private var listener: Int32 = -1
    private var connections: Set<Int32> = []
    private var received: [String] = []
    private var answeredInMode = 0
    private var written = 0
    private var stopped = false

    /// Creates a server; ``start()`` listens. A request that one of `routes` matches gets its
    /// answer; every other request is answered in `mode`.
    public init(
        mode: HostileMode, hugeBodySize: Int = 1 << 30, gzipBombSize: Int = 4 << 20,
        retryAfterValues: [String] = ["99999999999999999", "inf", "-1", "1e308"], routes: [HostileRoute] = []
    ) {
        self.mode = mode
        self.routes = routes
        self.hugeBodySize = hugeBodySize
        self.gzipBombSize = gzipBombSize
        self.retryAfterValues = retryAfterValues
    }

    deinit { stop() }

    /// Listens on `127.0.0.1` at a free port and returns the base URL (`http://127.0.0.1:PORT`, no slash).
    public func start() throws -> URL {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            close(descriptor)
            throw ServerError("bind/listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        lock.withLock { listener = descriptor }
        let thread = Thread { [self] in acceptLoop(descriptor) }
        thread.name = "hostile-accept"
        thread.start()
        return URL(string: "http://127.0.0.1:\(port)")!
    }

    /// Stops listening and cuts every open connection.
    public func stop() {
        let (listener, open): (Int32, Set<Int32>) = lock.withLock {
            stopped = true
            defer { self.listener = -1 }
            return (self.listener, connections)
        }
        for descriptor in open { shutdown(descriptor, Int32(SHUT_RDWR)) }
        if listener >= 0 {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    /// `METHOD /path` of every request so far, in order of arrival.
    public var requests: [String] { lock.withLock { received } }

    /// Body and header bytes written so far, over all connections.
    public var bytesWritten: Int { lock.withLock { written } }

    // MARK: Serving

    private func acceptLoop(_ listener: Int32) {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let accepted: Bool = lock.withLock {
                guard !stopped else { return false }
                connections.insert(connection)
                return true
            }
            guard accepted else {
                close(connection)
                return
            }
            var on: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            #if !os(Linux)
            setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let thread = Thread { [self] in
                serve(connection)
                lock.withLock { _ = connections.remove(connection) }
                close(connection)
            }
            thread.name = "hostile-connection"
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        guard let head = readRequest(connection) else { return }
        let route = routes.first { $0.matches(head) }
        let index: Int = lock.withLock {
            received.append(head)
            guard route == nil else { return 0 }
            // Counted apart from the routes, so a mode's answers go in turn whatever calls came first.
            defer { answeredInMode += 1 }
            return answeredInMode
        }
        HostileResponder(server: self, connection: connection, requestLine: head, index: index, route: route).respond()
    }

    /// Reads a request head and drains its body (up to 1 MiB); returns `METHOD /path` (with the query).
    private func readRequest(_ connection: Int32) -> String? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            data += buffer[0..<count]
            guard data.count < 65_536 else { return nil }
            if data.count >= 4 {
                headEnd = (0...(data.count - 4)).first { Array(data[$0..<$0 + 4]) == separator }
            }
        }
        let head = String(decoding: data[0..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let length = lines.dropFirst().compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        var bodyRead = data.count - (headEnd! + 4)
        while bodyRead < min(length, 1 << 20) {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            bodyRead += count
        }
        let words = (lines.first ?? "").split(separator: " ")
        return words.count >= 2 ? "\(words[0]) \(words[1])" : lines.first ?? ""
    }

    /// Writes all of `bytes`; false once the client has gone (or the server stopped).
    func write(_ bytes: [UInt8], to connection: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Self.sendFlags) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
            lock.withLock { written += sent }
        }
        return !lock.withLock { stopped }
    }

    /// A client that hangs up must end the write with an error, not kill the test with SIGPIPE.
    #if os(Linux)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let sendFlags: Int32 = 0
    #endif

    /// Why the server could not start.
    public struct ServerError: Error, CustomStringConvertible {
        /// What failed.
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

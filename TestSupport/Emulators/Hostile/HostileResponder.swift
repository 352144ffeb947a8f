import Foundation

/// Writes one ``HostileMode`` answer on one connection, until it is done or the client hangs up.
struct HostileResponder {
    let server: HostileServer
    let connection: Int32
    /// `METHOD /path` of the request.
    let requestLine: String
    /// The request's position among those the server answered in its mode (0 for the first).
    let index: Int
    /// The route that answers this request instead of the mode, if one matched.
    let route: HostileRoute?

    /// 64 KiB of the marker repeated: what the flooding modes send.
    static let filler: [UInt8] = {
        let unit = Array("\(HostileServer.marker) ".utf8)
        return Array((0..<(65_536 / unit.count + 1)).flatMap { _ in unit }.prefix(65_536))
    }()

    func respond() {
        if let route {
            let body = Array(route.body.utf8)
            guard head(route.status, ["Content-Type": "application/json", "Content-Length": "\(body.count)"]) else { return }
            _ = server.write(body, to: connection)
            return
        }
        switch server.mode {
        case .hugeBody:
            guard head(200, ["Content-Type": "application/json", "Content-Length": "\(server.hugeBodySize)"]) else { return }
            var left = server.hugeBodySize
            while left > 0 {
                let piece = Array(Self.filler.prefix(left))
                guard server.write(piece, to: connection) else { return }
                left -= piece.count
            }
        case .endlessChunked:
            guard head(200, ["Content-Type": "application/json", "Transfer-Encoding": "chunked"]) else { return }
            let chunk = Array(String(Self.filler.count, radix: 16).utf8) + [13, 10] + Self.filler + [13, 10]
            while server.write(chunk, to: connection) {}
        case .gzipBomb:
            let size = GzipBomb.head.count + server.gzipBombSize + GzipBomb.tail.count
            guard head(200, ["Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": "\(size)"]),
                  server.write(GzipBomb.head, to: connection)
            else { return }
            let zeros = [UInt8](repeating: 0, count: 65_536)
            var left = server.gzipBombSize
            while left > 0 {
                let piece = Array(zeros.prefix(left))
                guard server.write(piece, to: connection) else { return }
                left -= piece.count
            }
            _ = server.write(GzipBomb.tail, to: connection)
        case .retryAfterOverflow:
            let values = server.retryAfterValues
            let value = values.isEmpty ? "99999999999999999" : values[index % values.count]
            let body = Array(#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#.utf8)
            guard head(429, ["Content-Type": "application/json", "Retry-After": value, "Content-Length": "\(body.count)"]) else { return }
            _ = server.write(body, to: connection)
        case .hugeExpiresIn, .headerInjectingToken:
            let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            guard path.hasSuffix("/token") else {
                let body = Array(#"{"error":{"code":"Request_ResourceNotFound","message":"no such resource"}}"#.utf8)
                guard head(404, ["Content-Type": "application/json", "Content-Length": "\(body.count)"]) else { return }
                _ = server.write(body, to: connection)
                return
            }
            let expiry = server.mode == .headerInjectingToken ? "3599" : index % 2 == 0 ? "1e308" : "99999999999999999999"
            let token = server.mode == .headerInjectingToken ? #"hostile\r\nX-Hostile: \#(HostileServer.marker)"# : "hostile-token-value"
            let body = Array(#"{"access_token":"\#(token)","token_type":"Bearer","scope":"api-role:1","expires_in":\#(expiry)}"#.utf8)
            guard head(200, ["Content-Type": "application/json", "Content-Length": "\(body.count)"]) else { return }
            _ = server.write(body, to: connection)
        case .redirect:
            let body = Array("\(HostileServer.marker) moved".utf8)
            guard head(302, ["Location": "https://elsewhere.invalid/collect?from=\(HostileServer.marker)", "Content-Length": "\(body.count)"])
            else { return }
            _ = server.write(body, to: connection)
        case .slowDrip:
            let size = 1000
            guard head(200, ["Content-Type": "application/json", "Content-Length": "\(size)"]) else { return }
            for offset in 0..<size {
                guard server.write([Self.filler[offset % Self.filler.count]], to: connection) else { return }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// The status line and headers, with `Connection: close`.
    private func head(_ status: Int, _ headers: [String: String]) -> Bool {
        let reason = [200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests"][status] ?? "Status"
        var text = "HTTP/1.1 \(status) \(reason)\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return server.write(Array(text.utf8), to: connection)
    }
}

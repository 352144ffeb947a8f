import FlyingFox

/// A response that makes FlyingFox close the connection without writing a byte.
///
/// FlyingFox has no public way to abort a connection from a handler. It does, however, ask a
/// WebSocket handler for its frames *before* it writes the `101` response header, and closes the
/// connection when that throws; a handler that always throws therefore closes the socket with
/// nothing sent, which the client sees exactly like a server that went away mid-request.
/// (`EntraEmulatorTests`-style checks in `EntraIDTests` confirm the client receives no bytes.)
enum DroppedConnection {
    private struct Refusal: WSHandler {
        struct Dropped: Error {}

        func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
            throw Dropped()
        }
    }

    /// The response to return from a handler to drop the connection.
    static var response: HTTPResponse {
        HTTPResponse(webSocket: Refusal())
    }
}

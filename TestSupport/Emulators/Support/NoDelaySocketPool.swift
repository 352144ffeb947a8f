import FlyingFox
import FlyingSocks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FlyingFox's socket pool with Nagle's algorithm turned off on every socket it waits on.
///
/// FlyingFox writes a response's header and body in two `write` calls. With Nagle on, the body
/// waits until the client acknowledges the header, and the client delays that acknowledgement
/// by up to 40 ms, so nearly every exchange with an emulator took that much longer. The delay
/// belongs to this server library, not to the services emulated, and it made the rotation
/// benchmark's sequential run twice as slow (30 apps with 20 ms of added latency: 6.55 s with
/// Nagle on, 3.13 s with it off).
///
/// The listening socket is the first one the pool waits on, and Linux copies `TCP_NODELAY` from
/// it to every connection it accepts; setting it on each connection as well covers a system that
/// does not, from the connection's first wait on.
struct NoDelaySocketPool<Base: AsyncSocketPool>: AsyncSocketPool {
    let base: Base

    func prepare() async throws { try await base.prepare() }

    func run() async throws { try await base.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        Self.disableNagle(on: socket.file.rawValue)
        try await base.suspendSocket(socket, untilReadyFor: events)
    }

    /// Sets `TCP_NODELAY`; a socket that is not TCP (or is already closed) refuses, harmlessly.
    static func disableNagle(on descriptor: Int32) {
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}

extension HTTPServer.Configuration {
    /// A loopback emulator's configuration: FlyingFox's defaults, a long handler timeout (a `hang`
    /// fault must outlast any client's patience), no logging, and no Nagle delay.
    static func emulator(address: some SocketAddress) -> HTTPServer.Configuration {
        HTTPServer.Configuration(
            address: address, timeout: 3600, pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled)
    }
}

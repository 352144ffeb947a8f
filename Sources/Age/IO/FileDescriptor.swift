#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open POSIX file descriptor, readable as a ``ByteSource`` and writable as a ``ByteSink``.
///
/// The owner closes it with ``close()``; copies share the descriptor.
public struct FileDescriptor: ByteSource, ByteSink, Sendable {
    /// The raw descriptor.
    public let rawValue: Int32

    /// Wraps an already-open descriptor (for example `STDIN_FILENO`).
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Opens `path` for reading.
    public static func openForReading(_ path: String) throws -> FileDescriptor {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AgeError.io(reason: "cannot open \(path): \(errnoDescription())") }
        return FileDescriptor(rawValue: descriptor)
    }

    /// Creates `path` for writing with permissions `mode` (0600 unless told otherwise).
    ///
    /// - Parameter exclusive: fail if the file exists instead of truncating it.
    public static func create(_ path: String, mode: mode_t = 0o600, exclusive: Bool = true) throws -> FileDescriptor {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let descriptor = open(path, flags, mode)
        guard descriptor >= 0 else { throw AgeError.io(reason: "cannot create \(path): \(errnoDescription())") }
        // The process umask may have narrowed `mode`, never widened it; an existing file kept its
        // old mode, so set it explicitly.
        guard fchmod(descriptor, mode) == 0 else {
            let reason = errnoDescription()
            _ = systemClose(descriptor)
            throw AgeError.io(reason: "cannot set permissions on \(path): \(reason)")
        }
        return FileDescriptor(rawValue: descriptor)
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = systemRead(rawValue, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw AgeError.io(reason: "read failed: \(errnoDescription())")
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = systemWrite(rawValue, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw AgeError.io(reason: "write failed: \(errnoDescription())")
            }
            offset += count
        }
    }

    /// Closes the descriptor.
    public func close() throws {
        guard systemClose(rawValue) == 0 else { throw AgeError.io(reason: "close failed: \(errnoDescription())") }
    }
}

func errnoDescription() -> String {
    String(cString: strerror(errno))
}

// Free functions, so the calls inside `FileDescriptor` reach the C library rather than the
// struct's own `read`/`write`/`close` methods, on every libc Swift supports.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func systemClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

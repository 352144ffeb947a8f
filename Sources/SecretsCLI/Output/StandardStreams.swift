#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes to stdout and stderr with `write(2)`, treating a stream nobody reads any more as done.
///
/// `FileHandle.write` traps when the write fails, so `secrets list | head -1` died with SIGILL
/// once `head` had its line and closed the pipe. `secrets` ignores SIGPIPE (see
/// ``ProcessSetup``), so a closed pipe is `EPIPE` here: the rest of that output is dropped and
/// the command carries on and exits with its usual code. A reader that stopped reading is not a
/// failure of the command (a rotation half done because `head` closed the pipe would be one).
/// No state is kept: every later write to the closed pipe fails at once with `EPIPE` again.
enum StandardStreams {
    /// Writes `bytes` to `descriptor`, retrying short writes and `EINTR`; stops at any other error.
    static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = systemWrite(descriptor, next, remaining)
            if written < 0, errno == EINTR { continue }
            // EPIPE (the reader is gone), EBADF (closed by the caller, `>&-`) or an I/O error:
            // there is no one to tell but the same stream, so the output ends here.
            if written <= 0 { return }
            next += written
            remaining -= written
        }
    }

    /// Writes `data` to stdout.
    static func out(_ data: Data) {
        data.withUnsafeBytes { write($0, to: STDOUT_FILENO) }
    }

    /// Writes `bytes` to stdout.
    static func out(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0, to: STDOUT_FILENO) }
    }

    /// Writes `text` to stdout as it is (callers neutralise what needs it).
    static func out(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: STDOUT_FILENO) }
    }

    /// Writes `text` to stderr as it is.
    static func error(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
    }
}

/// The C library's `write`, reached from inside ``StandardStreams`` whose own `write` shadows it.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

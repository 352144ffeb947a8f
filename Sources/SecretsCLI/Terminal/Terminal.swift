#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClientSecrets
import CryptoPrimitives
import Foundation

/// Reading secrets and passphrases without echo, and writing to the standard streams.
enum Terminal {
    /// The longest line read for a secret or passphrase.
    static let maximumLine = 4096

    /// Prints `message` to stderr as one line; control characters in it (a label or a server's
    /// message quoted in an error) are shown escaped (see ``TerminalText``).
    static func printError(_ message: String) {
        StandardStreams.error(TerminalText.neutralised(message) + "\n")
    }

    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Asks on the controlling terminal with echo off; `nil` when there is no terminal.
    static func readHidden(prompt: String) throws -> SecureBytes? {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else { return nil }
        defer { close(tty) }
        var saved = termios()
        let canSilence = tcgetattr(tty, &saved) == 0
        if canSilence {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            // TCSANOW, not TCSAFLUSH: what was typed before the prompt appeared is the answer's
            // beginning, not something to throw away (see EchoSuppression).
            tcsetattr(tty, TCSANOW, &silent)
        }
        defer { if canSilence { tcsetattr(tty, TCSAFLUSH, &saved) } }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        return try readLine(from: tty)
    }

    /// Reads one line (without its line ending) from `descriptor` into wiped storage.
    static func readLine(from descriptor: Int32) throws -> SecureBytes {
        var count = 0
        var ended = false
        let buffer = try SecureBytes(count: maximumLine) { buffer in
            var byte: UInt8 = 0
            while count < buffer.count {
                let read = Glibc.read(descriptor, &byte, 1)
                if read < 0, errno == EINTR { continue }
                if read <= 0 { break }
                if byte == UInt8(ascii: "\n") { ended = true; break }
                buffer[count] = byte
                count += 1
            }
            byte = 0
            if count == buffer.count, !ended { throw CLIError.usage("the input line is longer than \(maximumLine) bytes") }
        }
        return buffer.withUnsafeBytes { bytes in
            var end = count
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return SecureBytes(copying: bytes[0..<end])
        }
    }

    /// Reads all of a file (or stdin with `-`), dropping one trailing line ending.
    static func readValue(path: String) throws -> SecureBytes {
        let value = try readFile(path: path, limit: maximumLine)
        return value.withUnsafeBytes { bytes in
            var end = bytes.count
            if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return SecureBytes(copying: bytes[0..<end])
        }
    }

    /// Reads all of a file (or stdin with `-`) of at most `limit` bytes into wiped storage.
    static func readFile(path: String, limit: Int) throws -> SecureBytes {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CLIError.noInput("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { if path != "-" { close(descriptor) } }
        var count = 0
        let buffer = SecureBytes(count: limit + 1) { buffer in
            while count < buffer.count {
                let read = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                if read < 0, errno == EINTR { continue }
                if read <= 0 { break }
                count += read
            }
        }
        guard count <= limit else { throw CLIError.usage("\(path == "-" ? "stdin" : path) holds more than \(limit) bytes") }
        return buffer.withUnsafeBytes { SecureBytes(copying: $0[0..<count]) }
    }

    /// Writes bytes to stdout as they are (a secret value, a payload), never copied into a `String`.
    static func writeOut(_ bytes: SecureBytes) {
        bytes.withUnsafeBytes { StandardStreams.write($0, to: STDOUT_FILENO) }
    }
}

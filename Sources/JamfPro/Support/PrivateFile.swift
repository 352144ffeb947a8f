#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CryptoPrimitives
import Foundation

/// Writes files only their owner can read (mode 0600), atomically: payloads and runbooks, which
/// may hold a client secret.
///
/// The bytes go to a new file beside the target, created with `O_EXCL` and mode 0600 from the
/// start (never briefly readable by others), flushed to disk, then renamed over the target, so a
/// reader sees the old file or the whole new one.
public enum PrivateFile {
    /// Why a file could not be written; the message names the path and the system's reason.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        /// One line for people.
        public let description: String
    }

    /// Writes `bytes` to `path` with mode 0600, replacing any file there.
    public static func write(_ bytes: SecureBytes, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let suffix = (try? SecureRandom.bytes(count: 6).map { String(format: "%02x", $0) }.joined()) ?? String(getpid())
        let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(suffix).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure(path) }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let result = systemWrite(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { return false }
                written += result
            }
            return fsync(fd) == 0
        }
        let error = failure(path)
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let renameError = ok ? failure(path) : error
            unlink(temporary)
            throw renameError
        }
    }

    /// Creates `path` as a directory with mode 0700 when it does not exist yet, and any missing
    /// parent the same way (a vault on a server keeps its payloads under `~/.local/share/secrets`,
    /// which may not exist yet).
    public static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw WriteError(description: "cannot write into \(path): it is not a directory") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, parent != "/" { try makeDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw failure(path) }
    }

    /// write(2), named apart from ``write(_:to:)``.
    private static func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, pointer, count)
        #else
        return Darwin.write(fd, pointer, count)
        #endif
    }

    private static func failure(_ path: String) -> WriteError {
        WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

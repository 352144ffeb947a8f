#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CryptoPrimitives
import Foundation
import JamfPro

/// When an apply command put each secret in place in Jamf Pro: the moment a canary's inventory
/// report must be newer than before it proves anything about that secret.
///
/// Kept as a small file next to the redacted payloads (`jamf-intune-<label>-<key id>.applied`,
/// mode 0600, holding only a timestamp) so that a verify resumed by a later run still knows it;
/// without a payload directory, in memory for the life of the consumer.
/// The moment is taken *after* the command succeeded: it can only be later than the real one,
/// so a report from before the change can never pass as newer.
///
/// The file is read back only if nobody else could have written it: an earlier moment than the
/// real one would let a stale report count as verification, so a file that is a symbolic link,
/// not a regular file, not this user's, writable by group or others, hard-linked elsewhere, or
/// not a timestamp is ``Lookup/untrusted(_:)``, and verify treats it as no moment recorded.
final class AppliedMoments: @unchecked Sendable {
    /// What is known of when a secret was applied.
    enum Lookup: Equatable {
        /// Recorded by this process or read from a file only this user could have written.
        case recorded(Date)
        /// Nothing recorded: no apply command put the secret in place (as far as is known here).
        case none
        /// A file is there but is not to be believed; the text says why, for the person.
        case untrusted(String)
    }

    let directory: String?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var memory: [String: Date] = [:]

    /// The largest file that can hold a timestamp; anything bigger is not one.
    private static let maximumSize = 64

    init(directory: String?) {
        self.directory = directory
    }

    /// Remembers that the secret `keyID` of `label` was applied at `date`.
    func record(_ date: Date, label: String, keyID: String) throws {
        let name = Self.name(label: label, keyID: keyID)
        lock.withLock { memory[name] = date }
        guard let directory else { return }
        try PrivateFile.makeDirectory(directory)
        let text = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) + "\n"
        try PrivateFile.write(SecureBytes(copying: Array(text.utf8)), to: path(name, in: directory))
    }

    /// When the secret `keyID` of `label` was applied, or why that is not known.
    func lookup(label: String, keyID: String) -> Lookup {
        let name = Self.name(label: label, keyID: keyID)
        if let date = lock.withLock({ memory[name] }) { return .recorded(date) }
        guard let directory else { return .none }
        return Self.read(path(name, in: directory))
    }

    static func name(label: String, keyID: String) -> String {
        "jamf-intune-\(JamfIntuneConsumer.fileNamePart(label))-\(JamfIntuneConsumer.fileNamePart(keyID)).applied"
    }

    private func path(_ name: String, in directory: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    /// Reads a moment file, checking on the open descriptor (so that the file checked is the
    /// file read) that only this user could have written it.
    static func read(_ path: String) -> Lookup {
        // O_NONBLOCK: a FIFO planted under the name must not hang the read.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { return .none }
            if errno == ELOOP { return .untrusted("\(path) is a symbolic link") }
            return .untrusted("\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return .untrusted("\(path) cannot be examined: \(String(cString: strerror(errno)))")
        }
        let mode = UInt32(status.st_mode)
        guard mode & UInt32(S_IFMT) == UInt32(S_IFREG) else { return .untrusted("\(path) is not a regular file") }
        guard status.st_uid == geteuid() else { return .untrusted("\(path) is owned by uid \(status.st_uid), not by you") }
        guard mode & 0o022 == 0 else {
            return .untrusted("\(path) can be written by group or others (mode \(String(mode & 0o777, radix: 8)))")
        }
        // secrets writes it by a rename, so it has one name: another is a way to write it elsewhere.
        guard status.st_nlink == 1 else { return .untrusted("\(path) has \(status.st_nlink) hard links") }
        var buffer = [UInt8](repeating: 0, count: maximumSize + 1)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0, count <= maximumSize,
              let date = try? Date(
                  String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                  strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        else { return .untrusted("\(path) does not hold a timestamp") }
        return .recorded(date)
    }
}

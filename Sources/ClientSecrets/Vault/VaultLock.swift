#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The exclusive lock of one vault (`<vault>.rotate-lock`), held by every command that must
/// not overlap a rotation: `rotate` and `rollback`, and whatever replaces the data keys or
/// removes or rewrites apps and credentials under a running rotation (`rekey`, `recipients
/// remove`, `app edit`, `app remove`, `import`, `secret add`). The kernel drops it when the
/// process dies, so a crash never leaves it behind.
///
/// ```swift
/// let lock = try VaultLock(vaultPath: path, holder: "rekey")   // throws VaultError.busy if held
/// defer { _ = lock }
/// let vault = try Vault.open(at: path, identities: identities)
/// ```
///
/// Why a lock and not only a rotation store that survives concurrent changes: a Jamf Pro API
/// client's new secret exists nowhere but in this process between the issuer's answer and its
/// commit, and a rekey or an app removal in that window leaves nothing to commit it to. The
/// vault itself also follows a rekey it did not see (see ``Vault``), so a writer that bypasses
/// the lock (an older `secrets`) costs no secret either, but it is the lock that keeps such
/// changes from interleaving with a rotation's steps. Take the lock before opening the vault, so
/// that the keys read at open are the ones the command works with.
///
/// The lock file sits beside the vault, so a directory other users can write to would let them
/// plant it: it is opened without following a symbolic link and checked on the descriptor (a
/// regular file of this user that group and others cannot write, with one link), and the
/// directory must be writable only by its owner (this user or root) unless it has the sticky
/// bit, under which nobody else can remove or rename this user's files. As ssh does with its
/// files, anything else is refused with what to fix, rather than used.
///
/// A vault on PostgreSQL has no file beside it: its lock is a session advisory lock on the
/// server (``ServerRotationLock``), which every host's `secrets` takes alike and the server
/// releases when the holder's connection ends, however it ends.
public struct VaultLock: ~Copyable {
    /// The lock file, or for a vault on PostgreSQL a description of its advisory lock.
    public let path: String
    private let descriptor: Int32
    private let server: ServerRotationLock?

    /// Takes the lock of the vault at `vaultPath`, waiting up to `wait` seconds while another
    /// process holds it.
    ///
    /// - Parameters:
    ///   - holder: the command taking it (`rotate`, `rekey`, …), written into the lock file so
    ///     that a command refused can say who holds it.
    ///   - wait: how long to wait for another holder to finish; 0 fails at once (a second
    ///     `rotate` has nothing to add to the first, while a `rekey` or `secret add` is a
    ///     person's request that a short rotation should not turn away).
    ///   - shared: for `rotate` on a vault on PostgreSQL: other shared holders (other hosts'
    ///     rotations) are let in, and the work is divided by ``appClaims``. A file's lock is
    ///     always exclusive: the file is one host's.
    /// - Throws: ``VaultError/vaultNotFound(path:)`` without a vault, ``VaultError/busy(reason:)``
    ///   while another process holds the lock, ``VaultError/lockNotPrivate(path:problem:)`` for
    ///   a lock file or directory another user could use, ``VaultError/storage(reason:)``.
    public init(vaultPath: String, holder: String, wait: TimeInterval = 0, shared: Bool = false) throws {
        if VaultBackend.isServer(vaultPath) {
            server = try ServerRotationLock(location: vaultPath, holder: holder, wait: wait, shared: shared)
            path = "the advisory lock of the vault at \(vaultPath)"
            descriptor = -1
            return
        }
        // The real path, so that a symlink or a relative path to the vault names the same lock.
        guard let pointer = realpath(vaultPath, nil) else {
            if errno == ENOENT { throw VaultError.vaultNotFound(path: vaultPath) }
            throw VaultError.storage(reason: "cannot resolve \(vaultPath): \(String(cString: strerror(errno)))")
        }
        let resolved = String(cString: pointer)
        free(pointer)
        try Self.checkDirectory((resolved as NSString).deletingLastPathComponent)
        let path = resolved + ".rotate-lock"
        // O_NONBLOCK: a FIFO planted under the name must not hang the open.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard descriptor >= 0 else {
            if errno == ELOOP {
                throw VaultError.lockNotPrivate(
                    path: path, problem: "is a symbolic link, which secrets never follows for its lock file; remove it (`rm \(path)`)")
            }
            throw VaultError.storage(reason: "cannot open the vault's lock file \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try Self.checkFile(descriptor, path: path)
            let deadline = Date().addingTimeInterval(wait)
            while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                guard errno == EWOULDBLOCK || errno == EINTR else {
                    throw VaultError.storage(reason: "cannot lock \(path): \(String(cString: strerror(errno)))")
                }
                guard Date() < deadline else {
                    throw VaultError.busy(reason: Self.heldMessage(Self.holder(of: descriptor), waited: wait))
                }
                usleep(20_000)
            }
        } catch {
            close(descriptor)
            throw error
        }
        // Who holds it, for the message of a command refused meanwhile.
        let note = Array("\(getpid()) \(holder)\n".utf8)
        if ftruncate(descriptor, 0) == 0 { _ = note.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
        self.path = path
        self.descriptor = descriptor
        self.server = nil
    }

    /// The per-app claims of a lock taken shared on a vault on PostgreSQL, for
    /// ``RotationEngine``'s options; `nil` for a file, whose lock alone keeps others out.
    public var appClaims: (any AppClaims)? { server }

    deinit {
        guard descriptor >= 0 else { return }  // a server lock goes with its connection
        // Still held here: empty the holder's note, so that a lock later taken by something
        // that writes none (an older `secrets`) is not blamed on this process.
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// Refuses a directory that someone else could write to (and so plant or replace the lock
    /// file or the vault in): writable by group or others without the sticky bit, or owned by
    /// another user than this one or root.
    static func checkDirectory(_ directory: String) throws {
        var status = stat()
        guard stat(directory.isEmpty ? "." : directory, &status) == 0 else {
            throw VaultError.storage(reason: "cannot examine \(directory): \(String(cString: strerror(errno)))")
        }
        let mode = UInt32(status.st_mode)
        if status.st_uid != geteuid(), status.st_uid != 0 {
            throw VaultError.lockNotPrivate(
                path: directory,
                problem: "holds the vault but is owned by uid \(status.st_uid), not by you, who could replace the vault or its lock file; keep the vault in a directory of your own")
        }
        if mode & 0o022 != 0, mode & UInt32(S_ISVTX) == 0 {
            throw VaultError.lockNotPrivate(
                path: directory,
                problem: "holds the vault but group or others can write to it (mode \(String(mode & 0o7777, radix: 8))), so another user could replace the vault or plant its lock file; run `chmod go-w \(directory)` or move the vault into a private directory")
        }
    }

    /// Checks the opened lock file: a regular file of this user, with one link, that group and
    /// others cannot write.
    static func checkFile(_ descriptor: Int32, path: String) throws {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw VaultError.storage(reason: "cannot examine the vault's lock file \(path): \(String(cString: strerror(errno)))")
        }
        let mode = UInt32(status.st_mode)
        guard mode & UInt32(S_IFMT) == UInt32(S_IFREG) else {
            throw VaultError.lockNotPrivate(path: path, problem: "is not a regular file; remove it (`rm \(path)`), secrets creates its lock file itself")
        }
        guard status.st_uid == geteuid() else {
            throw VaultError.lockNotPrivate(
                path: path,
                problem: "is owned by uid \(status.st_uid), not by you: another user made it (and may hold it); remove it (`rm \(path)`) and keep the vault in a directory only you can write to")
        }
        guard mode & 0o022 == 0 else {
            throw VaultError.lockNotPrivate(
                path: path, problem: "can be written by group or others (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard status.st_nlink == 1 else {
            throw VaultError.lockNotPrivate(path: path, problem: "has \(status.st_nlink) hard links, so it is also another file; remove it (`rm \(path)`)")
        }
    }

    /// The pid and command the holder wrote into the file, if it did (a lock taken by an older
    /// `secrets` holds nothing); only digits, letters, spaces and dashes are kept.
    static func holder(of descriptor: Int32) -> (pid: String, command: String)? {
        var buffer = [UInt8](repeating: 0, count: 96)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].allSatisfy(\.isNumber), !parts[0].isEmpty,
              parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0 == " " || $0 == "-") })
        else { return nil }
        // A note left by a process that was killed names nobody.
        guard let pid = pid_t(parts[0]), kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return (parts[0], parts[1])
    }

    static func heldMessage(_ holder: (pid: String, command: String)?, waited: TimeInterval) -> String {
        let who = holder.map { "`secrets \($0.command)` (pid \($0.pid))" } ?? "`secrets rotate`, `rollback` or other vault-changing command"
        let how = waited > 0 ? " (waited \(Int(waited)) s)" : ""
        return "another \(who) is working on this vault and holds its lock\(how); run this command again when it has finished (a rotation resumes anything it left half done)"
    }

    /// How long commands a person runs (`rekey`, `app remove`, `secret add`, …) wait for the
    /// lock: as long as SQLite waits for another process's write.
    public static let commandWait: TimeInterval = 60
}

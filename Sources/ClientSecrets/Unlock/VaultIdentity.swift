#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Age
import CryptoPrimitives
import Foundation
import Storage

/// Loading and writing the identity file that unlocks a vault.
public enum VaultIdentity {
    /// Reads the identity file at `path`, refusing one that is not a private file of this user
    /// (as ssh does), and asking `passphrase` only if it is passphrase-protected.
    ///
    /// The checks are made on the open descriptor (`fstat`), not on the path before opening it,
    /// so the file cannot be swapped between the check and the read: it must be a regular file
    /// (not a symbolic link, which `O_NOFOLLOW` refuses to open, nor a FIFO or device, whose
    /// writer would choose the key), owned by the effective user, with no group or other
    /// permission bits. `O_NONBLOCK` keeps the open of a FIFO from waiting for a writer.
    ///
    /// - Throws: ``VaultError/identityNotFound(path:)``, ``VaultError/identityNotPrivate(path:problem:)``,
    ///   ``VaultError/identityTooOpen(path:mode:)``, or ``VaultError/cannotUnlock(reason:)`` for
    ///   a wrong passphrase or an unreadable file.
    public static func load(path: String, passphrase: () throws -> SecureBytes) throws -> [X25519Identity] {
        let file = try openPrivate(path)
        defer { try? file.close() }
        do {
            return try IdentityFile.load(from: file, path: path, passphrase: passphrase)
        } catch AgeError.incorrectPassphrase {
            throw VaultError.cannotUnlock(reason: "wrong passphrase for identity file \(path)")
        } catch let error as AgeError {
            throw VaultError.cannotUnlock(reason: "identity file \(path): \(error)")
        }
    }

    /// Opens `path` for reading and checks the open file: a regular file of the effective user
    /// that group and others cannot use. Returns it in blocking mode.
    static func openPrivate(_ path: String) throws -> FileDescriptor {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw VaultError.identityNotFound(path: path) }
            if code == ELOOP {
                throw VaultError.identityNotPrivate(
                    path: path, problem: "is a symbolic link; pass the file it points to with --identity (or SECRETS_IDENTITY)")
            }
            throw VaultError.cannotUnlock(reason: "cannot read identity file \(path): \(String(cString: strerror(code)))")
        }
        let file = FileDescriptor(rawValue: descriptor)
        do {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                throw VaultError.cannotUnlock(reason: "cannot read identity file \(path): \(String(cString: strerror(errno)))")
            }
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw VaultError.identityNotPrivate(
                    path: path,
                    problem: "is not a regular file (\(kind(status.st_mode))); keep the identity in a plain file with mode 600 (`age-keygen -o FILE`, or `secrets init` makes one)")
            }
            let user = geteuid()
            guard status.st_uid == user else {
                throw VaultError.identityNotPrivate(
                    path: path, problem: "is owned by uid \(status.st_uid), not by you (uid \(user)); run `chown \(user) \(path)` if it is yours")
            }
            guard status.st_mode & 0o077 == 0 else {
                throw VaultError.identityTooOpen(path: path, mode: UInt32(status.st_mode))
            }
            // A regular file never blocks, but reads should not see EAGAIN if that ever changes.
            let flags = fcntl(descriptor, F_GETFL)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
            return file
        } catch {
            try? file.close()
            throw error
        }
    }

    /// What kind of file `mode` describes, for the message refusing it.
    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        default: return "mode \(String(mode & S_IFMT, radix: 8))"
        }
    }

    /// Whether the identity file at `path` is passphrase-protected (an age file). Never waits
    /// on a FIFO or follows a final symbolic link; such a file is refused by ``load(path:passphrase:)``.
    public static func isPassphraseProtected(path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        let prefix = Array("age-encryption.org/v1".utf8)
        var head = [UInt8](repeating: 0, count: prefix.count)
        let count = read(descriptor, &head, head.count)
        return count == prefix.count && head == prefix
    }

    /// Writes a new identity file 0600 (in a 0700 directory), encrypted with `passphrase` when
    /// one is given. Refuses to overwrite an existing file.
    public static func create(_ identity: X25519Identity, at path: String, passphrase: SecureBytes?, now: Date = Date()) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do { try PrivateDirectory.create(directory) } catch let error as StorageError { throw VaultError.storage(reason: error.message) }
        }
        do {
            try IdentityFile.write(identity, to: path, created: DateParser.format(now), passphrase: passphrase)
        } catch AgeError.io(let reason) {
            if FileManager.default.fileExists(atPath: path) {
                throw VaultError.recipientProblem(reason: "identity file \(path) already exists; pass --identity to write a new one elsewhere")
            }
            throw VaultError.storage(reason: reason)
        }
    }

    /// Re-encrypts the identity file at `path` under a new passphrase (or none), replacing it
    /// atomically. The identity, and so the vault, is unchanged.
    public static func changePassphrase(path: String, identities: [X25519Identity], to passphrase: SecureBytes?, now: Date = Date()) throws {
        guard let identity = identities.first else { throw VaultError.cannotUnlock(reason: "the identity file holds no identity") }
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        try IdentityFile.write(identity, to: temporary, created: DateParser.format(now), passphrase: passphrase)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VaultError.storage(reason: "cannot replace \(path): \(reason)")
        }
    }
}

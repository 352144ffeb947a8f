#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock held by one `rotate` or `rollback` process per vault, so that two runs
/// never work on the same rotation at once. The kernel drops it when the process dies, so a
/// crash never leaves it behind.
struct RotationLock: ~Copyable {
    private let descriptor: Int32

    /// Takes the lock on `<vault>.rotate-lock`, or fails at once when another process holds it.
    init(vaultPath: String) throws {
        // The real path, so that a symlink or a relative path names the same lock.
        let resolved = realpath(vaultPath, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? vaultPath
        let path = resolved + ".rotate-lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CLIError(description: "cannot open \(path): \(String(cString: strerror(errno)))", code: ExitStatus.ioError)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CLIError(
                description: "another `secrets rotate` or `rollback` is running on this vault; wait for it to finish (it resumes anything left half done)",
                code: ExitStatus.temporaryFailure)
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Issue 19, finding 7: the vault's lock file (`<vault>.rotate-lock`) sits beside the vault, so
/// in a directory another user can write to it could be planted. It is opened without following
/// a symbolic link and checked on the descriptor; a loose directory is refused. Every refusal
/// is one line naming the fix, exit 77, and nothing is created or changed.
@Suite("Vault lock file", .sqliteFile)
struct LockFileTests {
    /// The commands that take the lock: one that waits for it, and `rotate`.
    static let lockingCommands: [[String]] = [["rekey"], ["rotate", "--due"]]

    private func vaultWithApp(_ name: String) throws -> Sandbox {
        let sandbox = try Sandbox(name)
        try sandbox.initVault()
        try sandbox.addApp("app")
        return sandbox
    }

    private var lockName: String { "vault.sqlite.rotate-lock" }

    @Test("a symbolic link planted as the lock file is refused and its target never created")
    func symlinkLock() throws {
        let sandbox = try vaultWithApp("lock-symlink")
        defer { sandbox.remove() }
        let victim = sandbox.directory.path("victim")
        try FileManager.default.createSymbolicLink(atPath: sandbox.directory.path(lockName), withDestinationPath: victim)
        for arguments in Self.lockingCommands {
            try sandbox.fail(arguments, status: 77, mentioning: "is a symbolic link")
            #expect(!FileManager.default.fileExists(atPath: victim), "`\(arguments.joined(separator: " "))` created the symlink's target")
        }
    }

    @Test("a lock file owned by another user is refused, naming the owner and the fix")
    func foreignOwner() throws {
        let sandbox = try vaultWithApp("lock-owner")
        defer { sandbox.remove() }
        let lock = try sandbox.directory.write("", to: lockName)
        // The tests run as root in CI; as another user chown fails and this test cannot run.
        try #require(chown(lock, 12_345, 12_345) == 0, "chown needs root: \(String(cString: strerror(errno)))")
        for arguments in Self.lockingCommands {
            try sandbox.fail(arguments, status: 77, mentioning: "owned by uid 12345")
        }
        try sandbox.fail(["app", "remove", "app", "--yes"], status: 77, mentioning: "rm \(lock)")
        try sandbox.succeed(["app", "show", "app"])
    }

    @Test("a lock file group or others can write is refused; a FIFO is refused without hanging")
    func looseOrOddLockFile() throws {
        let sandbox = try vaultWithApp("lock-mode")
        defer { sandbox.remove() }
        try sandbox.directory.write("", to: lockName, mode: 0o666)
        try sandbox.directory.chmod(lockName, 0o666)
        for arguments in Self.lockingCommands {
            try sandbox.fail(arguments, status: 77, mentioning: "chmod 600")
        }
        try FileManager.default.removeItem(atPath: sandbox.directory.path(lockName))
        try #require(mkfifo(sandbox.directory.path(lockName), 0o600) == 0)
        try sandbox.fail(["rekey"], status: 77, mentioning: "is not a regular file")
    }

    @Test("a vault directory others can write to is refused unless it has the sticky bit")
    func looseDirectory() throws {
        let sandbox = try vaultWithApp("lock-directory")
        defer { sandbox.remove() }
        // The identity lives in the same directory and must stay private on its own.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: sandbox.directory.path)
        for arguments in Self.lockingCommands {
            try sandbox.fail(arguments, status: 77, mentioning: "chmod go-w")
        }
        #expect(!sandbox.directory.contains(lockName), "a lock file was created in the loose directory")
        // With the sticky bit (as /tmp), nobody else can remove or rename this user's files.
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: sandbox.directory.path)
        try sandbox.succeed(["rekey"])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: sandbox.directory.path)
    }

    @Test("the lock file made by secrets is a private regular file, emptied of its holder's note on release")
    func createdLockFile() throws {
        let sandbox = try vaultWithApp("lock-created")
        defer { sandbox.remove() }
        try sandbox.succeed(["rekey"])
        var status = stat()
        try #require(lstat(sandbox.directory.path(lockName), &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFREG)
        #expect(status.st_mode & 0o777 == 0o600, "mode \(String(status.st_mode & 0o777, radix: 8))")
        #expect(status.st_uid == geteuid())
        // The note ("PID COMMAND") is for commands refused while it is held; once released it
        // would blame a lock taken later by something that writes none.
        #expect(try sandbox.directory.read(lockName).isEmpty)
    }
}

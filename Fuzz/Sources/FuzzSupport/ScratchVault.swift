import Age
import ClientSecrets
import Foundation

/// A throwaway vault for one input: created empty, used, and deleted. It lives in /dev/shm when
/// there is one, so SQLite's fsyncs cost nothing.
public enum ScratchVault {
    /// One admin identity for every scratch vault; which key it is does not matter.
    static let admin: X25519Identity = try! X25519Identity.generate()
    static let directory: String = {
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = base + "/secrets-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }()
    nonisolated(unsafe) static var counter = 0

    /// Calls `body` with a new, empty vault and removes its files afterwards.
    public static func with<T>(_ body: (Vault) throws -> T) throws -> T {
        counter += 1
        let path = directory + "/vault-\(counter).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let vault = try Vault.create(at: path, admin: admin.recipient, actor: "fuzz@localhost")
        return try body(vault)
    }
}

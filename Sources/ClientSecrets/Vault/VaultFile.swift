#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GRDB

/// Opening the SQLite file: creating it 0600, configuring busy waits, WAL and durability.
enum VaultFile {
    /// How long a process waits for another one's write to finish before giving up.
    static let busyTimeout: TimeInterval = 60

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "secrets vault"
        configuration.prepareDatabase { db in
            // Freed pages are overwritten with zeros, so retired ciphertexts do not linger.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // A commit is on disk before the command reports success.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Opens an existing vault file.
    static func open(path: String) throws -> DatabaseQueue {
        var status = stat()
        guard stat(path, &status) == 0 else { throw VaultError.vaultNotFound(path: path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw VaultError.notAVault(path: path, reason: "it is not a regular file")
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration())
            let format = try queue.read { db -> Int? in
                guard try db.tableExists("vault") else { return nil }
                return try Int.fetchOne(db, sql: "SELECT format FROM vault WHERE id = 1")
            }
            guard let format else { throw VaultError.notAVault(path: path, reason: "it has no vault table") }
            guard (1...VaultSchema.formatVersion).contains(format) else {
                throw VaultError.notAVault(path: path, reason: "format \(format) is not one this version reads (1 to \(VaultSchema.formatVersion)); use a newer secrets")
            }
            return queue
        } catch let error as DatabaseError {
            throw VaultError.notAVault(path: path, reason: error.message ?? "SQLite error \(error.resultCode)")
        }
    }

    /// Creates a new, empty vault file with mode 0600, refusing to replace anything at `path`.
    static func create(path: String) throws -> DatabaseQueue {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try createPrivateDirectory(directory) }
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw VaultError.vaultExists(path: path) }
            throw VaultError.storage(reason: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration())
            // WAL lets readers run while another process writes; it is a property of the file.
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            return queue
        } catch {
            unlink(path)
            throw VaultError.storage(reason: "cannot initialise \(path): \(error)")
        }
    }

    /// Creates `path` and its missing parents with mode 0700.
    static func createPrivateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw VaultError.storage(reason: "\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw VaultError.storage(reason: "cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}

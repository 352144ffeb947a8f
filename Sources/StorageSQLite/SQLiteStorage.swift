#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GRDB
import Storage

/// The embedded backend: one SQLite file, created 0600, in WAL mode, with every commit on disk
/// before it returns. Several processes may use one file; a writer waits for another's write.
package struct SQLiteStorage: StorageBackend {
    /// How long a process waits for another one's write to finish before giving up.
    package static let defaultBusyTimeout: TimeInterval = 60

    let queue: DatabaseQueue
    let busyTimeout: TimeInterval

    private init(queue: DatabaseQueue, busyTimeout: TimeInterval) {
        self.queue = queue
        self.busyTimeout = busyTimeout
    }

    static func configuration(busyTimeout: TimeInterval) -> Configuration {
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

    /// Opens an existing database file.
    ///
    /// - Throws: ``StorageError`` of kind `notFound`, or `notADatabase` for a file SQLite cannot
    ///   read or anything that is not a regular file.
    package static func open(path: String, busyTimeout: TimeInterval = defaultBusyTimeout) throws -> SQLiteStorage {
        var status = stat()
        guard stat(path, &status) == 0 else { throw StorageError(.notFound, "\(path) does not exist") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw StorageError(.notADatabase, "it is not a regular file") }
        do {
            return SQLiteStorage(queue: try DatabaseQueue(path: path, configuration: configuration(busyTimeout: busyTimeout)), busyTimeout: busyTimeout)
        } catch let error as DatabaseError {
            throw StorageError(.notADatabase, error.message ?? "SQLite error \(error.resultCode)")
        }
    }

    /// Creates a new, empty database file with mode 0600 (and missing parent directories with
    /// mode 0700), refusing to replace anything at `path`.
    package static func create(path: String, busyTimeout: TimeInterval = defaultBusyTimeout) throws -> SQLiteStorage {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try PrivateDirectory.create(directory) }
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw StorageError(.exists, "\(path) already exists") }
            throw StorageError(.other, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration(busyTimeout: busyTimeout))
            // WAL lets readers run while another process writes; it is a property of the file.
            try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            return SQLiteStorage(queue: queue, busyTimeout: busyTimeout)
        } catch {
            unlink(path)
            throw StorageError(.other, "cannot initialise \(path): \(error)")
        }
    }

    /// Removes a database file and the WAL files beside it: undoes a ``create(path:busyTimeout:)``
    /// whose first transaction failed.
    package static func remove(path: String) {
        for suffix in ["", "-wal", "-shm"] { Glibc.unlink(path + suffix) }
    }

    /// A read is a deferred transaction, not GRDB's `read`: that marks each read with
    /// `PRAGMA query_only`, and SQLite expires every prepared statement whenever that flag
    /// changes, so each read made every cached statement compile again, which was a third of a
    /// bulk rotation's CPU. A read that changed anything is rolled back and refused instead,
    /// which keeps the guarantee `query_only` gave.
    package func read<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try mappingErrors {
            try queue.inDatabase { db in
                var result: T?
                let changesBefore = db.totalChangesCount
                try db.inTransaction(.deferred) {
                    result = try body(SQLiteTransaction(db: db, busyTimeout: busyTimeout))
                    guard db.totalChangesCount == changesBefore else {
                        throw StorageError(.readOnly, "a read of the vault tried to change it; nothing was changed")
                    }
                    return .commit
                }
                return result!
            }
        }
    }

    package func write<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try mappingErrors {
            try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(SQLiteTransaction(db: db, busyTimeout: busyTimeout))
                    return .commit
                }
                return result!
            }
        }
    }

    package var dialect: StorageDialect { .sqlite }

    package func close() throws {
        try mappingErrors { try queue.close() }
    }

    func mappingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.storageError(error, busyTimeout: busyTimeout)
        }
    }

    /// A SQLite error in the kinds the vault tells apart. The message is SQLite's, which names
    /// tables and constraints but never a bound value.
    static func storageError(_ error: DatabaseError, busyTimeout: TimeInterval) -> StorageError {
        let message = error.message ?? "SQLite error \(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StorageError(.busy(waited: busyTimeout), message)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StorageError(.damaged, message)
        case .SQLITE_READONLY:
            return StorageError(.readOnly, message)
        case .SQLITE_CONSTRAINT:
            if error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY || message.contains("FOREIGN KEY") {
                return StorageError(.missingReference, message)
            }
            if error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
                || message.contains("UNIQUE") {
                return StorageError(.duplicate, message)
            }
            return StorageError(.constraint, message)
        default:
            return StorageError(.other, message)
        }
    }
}

import Foundation
import Storage

/// The team backend: the vault's tables in a PostgreSQL database (15 or later), reached through
/// libpq. Encryption stays in the client: the server holds exactly what the SQLite file holds.
///
/// - A read is one `REPEATABLE READ, READ ONLY` transaction: one snapshot, and any write in
///   it is refused by the server.
/// - A write takes a transaction-scoped advisory lock on the vault (its database and schema)
///   first, so writers on any host queue as SQLite's `BEGIN IMMEDIATE` makes them, and waits at
///   most the busy timeout for it (`lock_timeout`). The lock goes with the transaction, so a
///   writer that dies releases it.
/// - One connection per storage; a lock keeps its transactions one at a time.
/// - A transaction the server rolls back as conflicting with another is run again (see
///   ``transaction(begin:_:)``): as built, writers queue on the lock and reads are read-only
///   snapshots, so none should conflict, but a server may still report one (a deadlock with
///   an operator's own session, say), and it is never an error a person has to act on.
package final class PostgreSQLStorage: StorageBackend, @unchecked Sendable {
    /// How long a writer waits for another's write before giving up, as SQLite's busy timeout.
    package static let defaultBusyTimeout: TimeInterval = 60

    private let connection: PostgreSQLConnection
    private let lock = NSLock()
    private var closed = false

    private init(connection: PostgreSQLConnection) {
        self.connection = connection
    }

    /// Whether `location` names a PostgreSQL database rather than a file.
    package static func isLocation(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
    }

    /// Connects to the database at `location` (a `postgresql://` URI, as libpq reads it).
    ///
    /// - Throws: ``StorageError`` of kind `notFound` when no connection can be made.
    package static func connect(to location: String, busyTimeout: TimeInterval = defaultBusyTimeout) throws -> PostgreSQLStorage {
        guard !holdsPassword(location) else {
            throw StorageError(.other, "the vault URL holds a password, which would then be in argv, the environment and every message; put it in ~/.pgpass or PGPASSFILE, or use a client certificate")
        }
        let connection = try PostgreSQLConnection(location: location, busyTimeout: busyTimeout)
        // Text compared byte by byte, as SQLite does, whatever the database's collation.
        try connection.runScript("SET default_transaction_isolation = 'read committed'; SET client_min_messages = warning")
        return PostgreSQLStorage(connection: connection)
    }

    /// Whether `location` carries a password (`user:password@` or `password=`), which the vault
    /// refuses: a location is printed in messages and passed in the environment. A location
    /// that is not a URL this can read is refused as if it did.
    package static func holdsPassword(_ location: String) -> Bool {
        guard let components = URLComponents(string: location) else { return true }
        return components.password != nil || (components.queryItems ?? []).contains { $0.name.lowercased() == "password" }
    }

    package func read<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    package func write<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        let milliseconds = max(1, Int(connection.busyTimeout * 1000))
        return try transaction(
            begin: "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = \(milliseconds);"
                + " SELECT pg_advisory_xact_lock(\(Self.lockClass), hashtext(current_schema()))", body)
    }

    /// Runs `body`'s statements each in a transaction of its own (autocommit): for one statement
    /// that needs no snapshot, such as taking or giving back a session advisory lock, without the
    /// two round trips of `BEGIN` and `COMMIT`.
    package func autocommit<T>(_ body: (any StorageTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw StorageError(.other, "the PostgreSQL connection is closed") }
        return try body(PostgreSQLTransaction(connection: connection))
    }

    /// The first key of the vault's advisory lock ("secr" in ASCII); the second is the schema's.
    package static let lockClass: Int32 = 0x7365_6372

    /// How many times a transaction the server rolled back as conflicting (``StorageError/Kind/conflict``)
    /// is run in all before the conflict is reported.
    package static let maximumAttempts = 8

    /// Runs `body` in a transaction opened by `begin`. A transaction the server rolls back as
    /// conflicting with another (a serialization failure or a deadlock, at any statement or at
    /// `COMMIT`) is run again from `BEGIN`, after a short random pause that grows with each
    /// attempt, up to ``maximumAttempts`` in all: the server undid all of it, so `body` sees a
    /// fresh start. `body` must be safe to run again: it keeps what it computes from the
    /// database inside the transaction, as the vault's writers do.
    private func transaction<T>(begin: String, _ body: (any StorageTransaction) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try transactionOnce(begin: begin, body)
            } catch let error as StorageError where error.kind == .conflict && attempt < Self.maximumAttempts {
                // 5 ms, then up to 10, 20, … 320 ms: apart, two writers that met stop meeting.
                let ceiling = 5 << min(attempt, 6)
                usleep(UInt32(Int.random(in: ceiling / 2...ceiling) * 1000))
                attempt += 1
            }
        }
    }

    private func transactionOnce<T>(begin: String, _ body: (any StorageTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw StorageError(.other, "the PostgreSQL connection is closed") }
        do {
            try connection.runScript(begin)
        } catch {
            // A writer that gave up waiting for the lock is inside a failed transaction.
            try? connection.runScript("ROLLBACK")
            throw error
        }
        let result: T
        do {
            result = try body(PostgreSQLTransaction(connection: connection))
        } catch {
            try? connection.runScript("ROLLBACK")
            throw error
        }
        do {
            try connection.runScript("COMMIT")
        } catch {
            // A COMMIT the server refused has ended the transaction; this is for safety only.
            try? connection.runScript("ROLLBACK")
            throw error
        }
        return result
    }

    package var dialect: StorageDialect { .postgresql }

    package func close() throws {
        lock.lock()
        defer { lock.unlock() }
        closed = true
    }
}

import StoragePostgreSQL

/// Watches what another process's write to a vault on the test server is doing, from a
/// connection of its own: what a test uses to time a SIGKILL "in the write" on the server, as the
/// growth of the write-ahead log times it for a file.
package final class ServerWriteWatch: Sendable {
    private let storage: PostgreSQLStorage

    /// Connects to the vault at `location` (a location ``VaultStore`` made, with its schema).
    package init(location: String) throws {
        storage = try PostgreSQLStorage.connect(to: location)
    }

    /// Whether another session holds this vault's write lock in a transaction that has written
    /// rows, and is now running `INSERT INTO table`. A failed query answers `false`.
    package func isInserting(into table: String) -> Bool {
        let sessions = try? storage.autocommit { db in
            try db.value(
                Int.self,
                sql: """
                    SELECT count(*)::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid::bigint = ? AND l.granted
                      AND l.objid::bigint = (hashtext(current_schema())::bigint + 4294967296) % 4294967296
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND a.pid <> pg_backend_pid() AND a.backend_xid IS NOT NULL AND a.query LIKE ?
                    """, arguments: [Int(PostgreSQLStorage.lockClass), "INSERT INTO \(table) %"])
        }
        return (sessions ?? nil ?? 0) > 0
    }

    /// Ends the connection.
    package func close() {
        try? storage.close()
    }
}

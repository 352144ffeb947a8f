import Foundation
import Storage

/// One libpq connection, used by one transaction at a time (``PostgreSQLStorage`` holds the lock).
final class PostgreSQLConnection {
    let library: LibPQ
    private let connection: LibPQ.Connection
    /// How long a statement waits for a lock another session holds; see ``PostgreSQLStorage``.
    let busyTimeout: TimeInterval

    /// Connects with libpq's connection string or `postgresql://` URI. Credentials come from
    /// libpq's own means (`PGPASSFILE`, `~/.pgpass`, a client certificate); a password in the
    /// URI works too but is never repeated in a message.
    init(location: String, busyTimeout: TimeInterval) throws {
        let library = try LibPQ.shared.get()
        guard let connection = library.connectdb(location) else {
            throw StorageError(.other, "libpq could not allocate a connection")
        }
        guard library.status(connection) == LibPQ.connectionOK else {
            let reason = library.errorMessage(connection).map { String(cString: $0) } ?? "no reason given"
            library.finish(connection)
            throw StorageError(.notFound, "cannot connect to PostgreSQL: \(Self.oneLine(reason))")
        }
        // Notices ("relation already exists, skipping") would go to standard error.
        _ = library.setNoticeProcessor(connection, { _, _ in }, nil)
        self.library = library
        self.connection = connection
        self.busyTimeout = busyTimeout
    }

    deinit { library.finish(connection) }

    var transactionStatus: Int32 { library.transactionStatus(connection) }

    /// Runs one statement with `arguments` bound; the rows come back in binary format.
    @discardableResult
    func run(_ sql: String, _ arguments: [(any StoredValueConvertible)?] = []) throws -> PostgreSQLResult {
        let (numbered, count) = PostgreSQLStatement.numbered(sql)
        guard count == arguments.count else {
            throw StorageError(.other, "the statement has \(count) placeholders but \(arguments.count) arguments")
        }
        let bound = PostgreSQLStatement.Arguments(arguments)
        let result = bound.withParameters { types, values, lengths, formats in
            library.execParams(connection, numbered, Int32(arguments.count), types, values, lengths, formats, 1)
        }
        return try checked(result)
    }

    /// Runs a query whose rows are read: each column must be of a type ``PostgreSQLResult`` reads.
    func read(_ sql: String, _ arguments: [(any StoredValueConvertible)?]) throws -> PostgreSQLResult {
        let result = try run(sql, arguments)
        try result.checkTypes()
        return result
    }

    /// Runs statements separated by semicolons, without arguments (schema scripts).
    func runScript(_ sql: String) throws {
        _ = try checked(library.exec(connection, sql))
    }

    private func checked(_ result: LibPQ.Result?) throws -> PostgreSQLResult {
        guard let result else {
            let reason = library.errorMessage(connection).map { String(cString: $0) } ?? "no reason given"
            throw StorageError(.other, "the PostgreSQL connection failed: \(Self.oneLine(reason))")
        }
        let wrapped = PostgreSQLResult(library: library, result: result)
        let status = library.resultStatus(result)
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else { throw error(of: result) }
        return wrapped
    }

    /// The server's error in the kinds the vault tells apart. The message is the primary one
    /// only: PostgreSQL's detail lines repeat key values ("Key (name)=(…) already exists"),
    /// and a data error's primary line can repeat its input, so that class says less.
    private func error(of result: LibPQ.Result) -> StorageError {
        let state = library.resultErrorField(result, LibPQ.diagnosticSQLState).map { String(cString: $0) } ?? ""
        let primary = library.resultErrorField(result, LibPQ.diagnosticPrimaryMessage).map { String(cString: $0) } ?? "PostgreSQL error"
        let message = state.hasPrefix("22") ? "a value was refused by PostgreSQL (SQLSTATE \(state))" : "\(Self.oneLine(primary)) (SQLSTATE \(state))"
        switch state {
        case "23505": return StorageError(.duplicate, message)
        // duplicate_table: another process created the vault's tables first.
        case "42P07": return StorageError(.exists, message)
        case "23503": return StorageError(.missingReference, message)
        case "23502", "23514", "23P01": return StorageError(.constraint, message)
        case "25006": return StorageError(.readOnly, "a read of the vault tried to change it; nothing was changed")
        // lock_not_available (lock_timeout), query_canceled (statement_timeout)
        case "55P03", "57014": return StorageError(.busy(waited: busyTimeout), message)
        case "XX001", "XX002": return StorageError(.damaged, message)
        // serialization_failure, deadlock_detected: the transaction is to be run again.
        case "40001", "40P01": return StorageError(.conflict, message)
        default: return StorageError(.other, message)
        }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
    }
}

/// The vault's whole view of its storage inside one transaction: SQL with positional `?`
/// arguments, rows back as ``StoredRow``.
///
/// The vault keeps to SQL both SQLite and PostgreSQL run (no `PRAGMA`, no `rowid`, no
/// `INSERT OR …`); schema statements go through ``executeScript(sql:)``, which a backend may
/// translate. Every operation throws ``StorageError``.
package protocol StorageTransaction {
    /// Runs one statement. Backends cache the prepared statement by its text: bulk rotations run
    /// the same few shapes thousands of times.
    func execute(sql: String, arguments: [(any StoredValueConvertible)?]) throws
    /// Runs schema statements, separated by semicolons, without arguments.
    func executeScript(sql: String) throws
    /// Every row of a query.
    func rows(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> [StoredRow]
    /// The first row of a query, or `nil`.
    func firstRow(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> StoredRow?
    /// Calls `body` with each row of a query in turn, holding only one at a time. `body` may run
    /// other queries, the same one included.
    func forEachRow(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (StoredRow) throws -> Void) throws
    /// Calls `body` with each row of a query read in place; see ``StorageColumns``.
    func scan(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (any StorageColumns) throws -> Void) throws
    /// Whether a table exists.
    func tableExists(_ table: String) throws -> Bool
    /// The column names of a table, in its order.
    func columnNames(in table: String) throws -> [String]
    /// What the backend's own consistency check finds wrong with the database itself (pages,
    /// indexes), at most a few findings; empty when it finds nothing.
    func damage() throws -> [String]
    /// Runs `body` in a savepoint: rolled back alone when it throws, the rest of the transaction kept.
    func savepoint(_ body: () throws -> Void) throws
    /// Whether the transaction is still open; a failed statement may have ended it (a full disk).
    var isInsideTransaction: Bool { get }
    /// How this transaction's backend spells column types.
    var dialect: StorageDialect { get }
}

extension StorageTransaction {
    /// Runs one statement without arguments.
    package func execute(sql: String) throws {
        try execute(sql: sql, arguments: [])
    }

    /// Every row of a query without arguments.
    package func rows(sql: String) throws -> [StoredRow] {
        try rows(sql: sql, arguments: [])
    }

    /// The first row of a query, or `nil`.
    package func row(sql: String, arguments: [(any StoredValueConvertible)?] = []) throws -> StoredRow? {
        try firstRow(sql: sql, arguments: arguments)
    }

    /// ``forEachRow(sql:arguments:_:)`` for a query without arguments.
    package func forEachRow(sql: String, _ body: (StoredRow) throws -> Void) throws {
        try forEachRow(sql: sql, arguments: [], body)
    }

    /// The first column of the first row as `V`, or `nil` when there is no row or it is `NULL`.
    package func value<V: StoredValueConvertible>(_ type: V.Type, sql: String, arguments: [(any StoredValueConvertible)?] = []) throws -> V? {
        guard let row = try firstRow(sql: sql, arguments: arguments), let first = row.values.first, !first.isNull else { return nil }
        guard let value = V.fromStored(first) else {
            throw StorageError(.unexpectedValue, "column \(row.columns[0]) holds \(first.typeName), not \(V.self)")
        }
        return value
    }

    /// The first column of every row as `V`.
    package func values<V: StoredValueConvertible>(_ type: V.Type, sql: String, arguments: [(any StoredValueConvertible)?] = []) throws -> [V] {
        try rows(sql: sql, arguments: arguments).map { row in
            guard let first = row.values.first, let value = V.fromStored(first) else {
                throw StorageError(.unexpectedValue, "column \(row.columns.first ?? "?") does not hold \(V.self)")
            }
            return value
        }
    }
}

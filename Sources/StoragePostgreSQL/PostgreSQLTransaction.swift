import Foundation
import Storage

/// One PostgreSQL transaction as a ``StorageTransaction``.
///
/// Every statement's rows are fetched whole before a loop's body runs, so a body may run other
/// statements (even the same one) on the connection without disturbing the loop.
struct PostgreSQLTransaction: StorageTransaction {
    let connection: PostgreSQLConnection

    var dialect: StorageDialect { .postgresql }

    func execute(sql: String, arguments: [(any StoredValueConvertible)?]) throws {
        try connection.run(sql, arguments)
    }

    func executeScript(sql: String) throws {
        try connection.runScript(sql)
    }

    func rows(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> [StoredRow] {
        let result = try connection.read(sql, arguments)
        let columns = result.columnNames
        return (0..<result.rowCount).map { result.storedRow($0, columns: columns) }
    }

    func firstRow(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> StoredRow? {
        let result = try connection.read(sql, arguments)
        guard result.rowCount > 0 else { return nil }
        return result.storedRow(0, columns: result.columnNames)
    }

    func forEachRow(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (StoredRow) throws -> Void) throws {
        let result = try connection.read(sql, arguments)
        let columns = result.columnNames
        for row in 0..<result.rowCount { try body(result.storedRow(row, columns: columns)) }
    }

    func scan(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (any StorageColumns) throws -> Void) throws {
        let result = try connection.read(sql, arguments)
        for row in 0..<result.rowCount { try body(PostgreSQLColumns(result: result, row: row)) }
    }

    func tableExists(_ table: String) throws -> Bool {
        try connection.read("SELECT to_regclass(quote_ident(?)) IS NOT NULL", [table]).storedRow(0, columns: ["exists"])["exists"] == .integer(1)
    }

    func columnNames(in table: String) throws -> [String] {
        try rows(
            sql: """
                SELECT column_name::text AS name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
                """, arguments: [table]
        ).map { try $0["name"] as String }
    }

    /// PostgreSQL checks its pages itself (checksums, when the cluster has them); there is no
    /// cheap whole-database check to run here, so this finds nothing.
    func damage() throws -> [String] { [] }

    func savepoint(_ body: () throws -> Void) throws {
        try connection.runScript("SAVEPOINT vault_step")
        do {
            try body()
        } catch {
            // After a failed statement the transaction accepts nothing but this.
            try? connection.runScript("ROLLBACK TO SAVEPOINT vault_step; RELEASE SAVEPOINT vault_step")
            throw error
        }
        try connection.runScript("RELEASE SAVEPOINT vault_step")
    }

    var isInsideTransaction: Bool {
        let status = connection.transactionStatus
        return status == LibPQ.transactionInTransaction || status == LibPQ.transactionActive
    }
}

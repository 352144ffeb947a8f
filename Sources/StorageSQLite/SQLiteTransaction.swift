import Foundation
import GRDB
import GRDBSQLite
import Storage

/// One SQLite transaction as a ``StorageTransaction``: GRDB's statements, converted at the edge.
struct SQLiteTransaction: StorageTransaction {
    let db: Database
    let busyTimeout: TimeInterval

    var dialect: StorageDialect { .sqlite }

    func execute(sql: String, arguments: [(any StoredValueConvertible)?]) throws {
        try mapping { try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments)) }
    }

    func executeScript(sql: String) throws {
        try mapping { try db.execute(sql: sql) }
    }

    func rows(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> [StoredRow] {
        try mapping {
            let statement = try db.cachedStatement(sql: sql)
            let columns = statement.columnNames
            let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
            var rows: [StoredRow] = []
            while let row = try cursor.next() { rows.append(Self.storedRow(row, columns: columns)) }
            return rows
        }
    }

    func firstRow(sql: String, arguments: [(any StoredValueConvertible)?]) throws -> StoredRow? {
        try mapping {
            let statement = try db.cachedStatement(sql: sql)
            let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
            guard let row = try cursor.next() else { return nil }
            return Self.storedRow(row, columns: statement.columnNames)
        }
    }

    // The two loops below hold their statement while `body` runs, so they take one of their own:
    // a body that ran the same SQL through the cache would reset the loop's statement under it.
    func forEachRow(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (StoredRow) throws -> Void) throws {
        let statement = try mapping { try db.makeStatement(sql: sql) }
        let columns = statement.columnNames
        let cursor = try mapping { try Row.fetchCursor(statement, arguments: Self.arguments(arguments)) }
        while let row = try mapping({ try cursor.next() }) {
            try body(Self.storedRow(row, columns: columns))
        }
    }

    func scan(sql: String, arguments: [(any StoredValueConvertible)?], _ body: (any StorageColumns) throws -> Void) throws {
        let statement = try mapping { try db.makeStatement(sql: sql) }
        let cursor = try mapping { try Row.fetchCursor(statement, arguments: Self.arguments(arguments)) }
        let columns = SQLiteColumns(statement: statement.sqliteStatement)
        while try mapping({ try cursor.next() }) != nil {
            try body(columns)
        }
    }

    func tableExists(_ table: String) throws -> Bool {
        try mapping { try db.tableExists(table) }
    }

    func columnNames(in table: String) throws -> [String] {
        try mapping { try db.columns(in: table).map(\.name) }
    }

    func damage() throws -> [String] {
        let findings = try mapping { try String.fetchAll(db.cachedStatement(sql: "PRAGMA integrity_check(5)")) }
        return findings == ["ok"] ? [] : findings
    }

    func savepoint(_ body: () throws -> Void) throws {
        try mapping {
            try db.inSavepoint {
                try body()
                return .commit
            }
        }
    }

    var isInsideTransaction: Bool { db.isInsideTransaction }

    private func mapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw SQLiteStorage.storageError(error, busyTimeout: busyTimeout)
        }
    }

    static func arguments(_ values: [(any StoredValueConvertible)?]) -> StatementArguments {
        StatementArguments(values.map { ($0?.storedValue ?? .null).databaseValue })
    }

    static func storedRow(_ row: Row, columns: [String]) -> StoredRow {
        StoredRow(columns: columns, values: (0..<row.count).map { StoredValue(row[$0] as DatabaseValue) })
    }
}

extension StoredValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        }
    }
}

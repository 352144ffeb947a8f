import GRDBSQLite
import Storage

/// The current row of a SQLite statement, read through the C API without copying.
struct SQLiteColumns: StorageColumns {
    let statement: OpaquePointer

    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        guard let pointer = sqlite3_column_blob(statement, Int32(index)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, Int32(index))))
    }

    func text(_ index: Int) -> UnsafeRawBufferPointer {
        guard let pointer = sqlite3_column_text(statement, Int32(index)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, Int32(index))))
    }

    func integer(_ index: Int) -> Int64 {
        sqlite3_column_int64(statement, Int32(index))
    }

    func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL
    }

    func real(_ index: Int) -> Double {
        sqlite3_column_double(statement, Int32(index))
    }

    func type(_ index: Int) -> StoredType {
        switch sqlite3_column_type(statement, Int32(index)) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }
}

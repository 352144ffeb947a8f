import Foundation
import Storage

/// The rows of one statement, as libpq holds them in binary format until they are cleared.
///
/// Values are read by their column's type: `bigint`, `integer`, `smallint` and `boolean` as
/// integers (a boolean as 0 or 1, as SQLite gives a comparison), `double precision` as a real,
/// `text` and `varchar` as text, `bytea` as a blob. Any other type is refused, so a value is
/// never guessed at.
final class PostgreSQLResult {
    let library: LibPQ
    let result: LibPQ.Result
    let rowCount: Int32
    let columnCount: Int32
    let types: [StoredType?]
    private let typeNames: [UInt32]

    init(library: LibPQ, result: LibPQ.Result) {
        self.library = library
        self.result = result
        rowCount = library.ntuples(result)
        columnCount = library.nfields(result)
        typeNames = (0..<columnCount).map { library.ftype(result, $0) }
        types = typeNames.map(Self.storedType)
    }

    deinit { library.clear(result) }

    /// Type OIDs (`pg_type.dat`).
    static func storedType(_ oid: UInt32) -> StoredType? {
        switch oid {
        case 20, 21, 23, 16: .integer
        case 700, 701: .real
        case 25, 1043, 1042, 19, 705: .text
        case 17: .blob
        default: nil
        }
    }

    var columnNames: [String] {
        (0..<columnCount).map { String(cString: library.fname(result, $0)!) }
    }

    /// Throws for a column of a type this backend does not read.
    func checkTypes() throws {
        if let index = types.firstIndex(of: nil) {
            throw StorageError(.unexpectedValue, "column \(columnNames[index]) has PostgreSQL type \(typeNames[index]), which the vault does not store")
        }
    }

    func storedRow(_ row: Int32, columns: [String]) -> StoredRow {
        let cursor = PostgreSQLColumns(result: self, row: row)
        let values: [StoredValue] = (0..<Int(columnCount)).map { index in
            switch cursor.type(index) {
            case .null: .null
            case .integer: .integer(cursor.integer(index))
            case .real: .real(cursor.real(index))
            case .text: .text(String(decoding: cursor.text(index), as: UTF8.self))
            case .blob: .blob(Data(cursor.bytes(index)))
            }
        }
        return StoredRow(columns: columns, values: values)
    }
}

/// One row of a ``PostgreSQLResult``, read in place.
struct PostgreSQLColumns: StorageColumns {
    let result: PostgreSQLResult
    let row: Int32

    private func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let column = Int32(index)
        guard result.library.getisnull(result.result, row, column) == 0, let pointer = result.library.getvalue(result.result, row, column) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: pointer, count: Int(result.library.getlength(result.result, row, column)))
    }

    func bytes(_ index: Int) -> UnsafeRawBufferPointer { raw(index) }

    func text(_ index: Int) -> UnsafeRawBufferPointer { raw(index) }

    func integer(_ index: Int) -> Int64 {
        let bytes = raw(index)
        // Binary format: big-endian two's complement of the column's width.
        var value: Int64 = 0
        for byte in bytes { value = value << 8 | Int64(byte) }
        switch bytes.count {
        case 1: return Int64(Int8(truncatingIfNeeded: value))
        case 2: return Int64(Int16(truncatingIfNeeded: value))
        case 4: return Int64(Int32(truncatingIfNeeded: value))
        default: return value
        }
    }

    func real(_ index: Int) -> Double {
        let bytes = raw(index)
        var bits: UInt64 = 0
        for byte in bytes { bits = bits << 8 | UInt64(byte) }
        return bytes.count == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
    }

    func isNull(_ index: Int) -> Bool {
        result.library.getisnull(result.result, row, Int32(index)) != 0
    }

    func type(_ index: Int) -> StoredType {
        isNull(index) ? .null : result.types[index] ?? .null
    }
}

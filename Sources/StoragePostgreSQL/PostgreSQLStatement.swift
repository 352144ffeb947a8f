import Foundation
import Storage

/// A statement as PostgreSQL takes it: `?` placeholders renumbered `$1`, `$2`…, and each
/// argument in binary format with its type named, so nothing is parsed back from text.
enum PostgreSQLStatement {
    /// `sql` with each `?` outside quotes and comments replaced by `$n`, and how many there were.
    static func numbered(_ sql: String) -> (sql: String, count: Int) {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var count = 0
        var quote: Character?
        var inLineComment = false
        for character in sql {
            if inLineComment {
                if character == "\n" { inLineComment = false }
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "-", output.last == "-" {
                inLineComment = true
            } else if character == "?" {
                count += 1
                output += "$\(count)"
                continue
            }
            output.append(character)
        }
        return (output, count)
    }

    /// The arguments as libpq's parallel arrays: types, binary values and lengths. A `nil`
    /// value is SQL `NULL`, typed by the server from its place in the statement.
    struct Arguments {
        var types: [UInt32] = []
        var values: [Data?] = []

        init(_ arguments: [(any StoredValueConvertible)?]) {
            for argument in arguments {
                switch argument?.storedValue ?? .null {
                case .null:
                    types.append(0)
                    values.append(nil)
                case .integer(let number):
                    types.append(20)  // int8
                    values.append(withUnsafeBytes(of: number.bigEndian) { Data($0) })
                case .real(let number):
                    types.append(701)  // float8
                    values.append(withUnsafeBytes(of: number.bitPattern.bigEndian) { Data($0) })
                case .text(let text):
                    types.append(25)  // text: its binary format is the UTF-8 bytes
                    values.append(Data(text.utf8))
                case .blob(let data):
                    types.append(17)  // bytea
                    values.append(data)
                }
            }
        }

        /// Calls `body` with the arrays libpq's `PQexecParams` takes.
        func withParameters<R>(
            _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> R
        ) rethrows -> R {
            // One buffer holds every value, so the pointers stay valid for the call.
            var storage = Data()
            var offsets: [Int] = []
            for value in values {
                offsets.append(storage.count)
                if let value { storage.append(value) }
            }
            storage.append(0)  // a non-empty buffer, so every pointer is valid even for empty values
            let lengths = values.map { Int32($0?.count ?? 0) }
            let formats = [Int32](repeating: 1, count: values.count)
            return try storage.withUnsafeBytes { buffer in
                let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
                let pointers: [UnsafePointer<CChar>?] = values.indices.map { values[$0] == nil ? nil : UnsafePointer(base + offsets[$0]) }
                return try types.withUnsafeBufferPointer { types in
                    try pointers.withUnsafeBufferPointer { pointers in
                        try lengths.withUnsafeBufferPointer { lengths in
                            try formats.withUnsafeBufferPointer { formats in
                                try body(types.baseAddress, pointers.baseAddress, lengths.baseAddress, formats.baseAddress)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One row as a backend returned it: its column names and values, in the query's order.
///
/// Reading a column as a type it does not hold throws ``StorageError`` instead of trapping:
/// a file edited behind the tool's back is bad input, not a programming error.
package struct StoredRow: Sendable {
    /// The query's column names, shared by every row of one result.
    package let columns: [String]
    /// The values, one per column.
    package let values: [StoredValue]

    /// A row of `values` under `columns`, one value per column.
    package init(columns: [String], values: [StoredValue]) {
        self.columns = columns
        self.values = values
    }

    /// Whether the query returned `column`.
    package func hasColumn(_ column: String) -> Bool {
        columns.contains(column)
    }

    /// The value of `column`, or `.null` when the query has no such column.
    package subscript(_ column: String) -> StoredValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// The value of `column` as `V`.
    ///
    /// - Throws: ``StorageError`` of kind ``StorageError/Kind/unexpectedValue`` when the column
    ///   is missing or holds another type (`NULL` included, unless `V` is optional).
    package subscript<V: StoredValueConvertible>(_ column: String) -> V {
        get throws {
            guard let index = columns.firstIndex(of: column) else {
                throw StorageError(.unexpectedValue, "the query has no column \(column)")
            }
            guard let value = V.fromStored(values[index]) else {
                throw StorageError(.unexpectedValue, "column \(column) holds \(values[index].typeName), not \(V.self)")
            }
            return value
        }
    }
}

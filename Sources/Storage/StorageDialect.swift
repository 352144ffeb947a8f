/// How a backend spells what the vault's schema declares: the one place the SQL of the two
/// backends differs, so the schema itself is written once.
package struct StorageDialect: Sendable, Equatable {
    /// The column type of bytes.
    package let blob: String
    /// The column type of a 64-bit integer.
    package let integer: String
    /// The column type of a double-precision number.
    package let real: String
    /// Whether an index entry may hold a column as large as a sealed certificate (over 16 KiB).
    /// SQLite's may; PostgreSQL's B-tree entries stop at about 2.7 KB.
    package let indexesHoldLargeValues: Bool

    /// SQLite: declared types are affinities, and `INTEGER` holds 64 bits.
    package static let sqlite = StorageDialect(blob: "BLOB", integer: "INTEGER", real: "REAL", indexesHoldLargeValues: true)
    /// PostgreSQL: `integer` is 32 bits and `real` single precision, so the wider types.
    package static let postgresql = StorageDialect(blob: "BYTEA", integer: "BIGINT", real: "DOUBLE PRECISION", indexesHoldLargeValues: false)
}

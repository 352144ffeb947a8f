/// The columns of the row a scan stands on, read in place: what the backend holds is lent,
/// not copied, and is valid only until the scan's closure returns.
///
/// Made for the one read that must not allocate per row (the expiry listing monitoring runs).
package protocol StorageColumns {
    /// The bytes of a blob column; empty for `NULL`.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer
    /// The UTF-8 bytes of a text column; empty for `NULL`.
    func text(_ index: Int) -> UnsafeRawBufferPointer
    /// An integer column's value; 0 for `NULL`.
    func integer(_ index: Int) -> Int64
    /// Whether a column is `NULL`.
    func isNull(_ index: Int) -> Bool
    /// A real column's value; 0 for `NULL`.
    func real(_ index: Int) -> Double
    /// The type of the value a column holds in this row, as ``StoredValue`` names them.
    func type(_ index: Int) -> StoredType
}

/// The type of one stored value: the cases of ``StoredValue`` without their values.
package enum StoredType: Sendable {
    case null, integer, real, text, blob
}

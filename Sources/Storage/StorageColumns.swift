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
}

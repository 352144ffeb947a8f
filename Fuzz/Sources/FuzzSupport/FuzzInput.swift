/// Runs a fuzz target's body on the bytes libFuzzer hands over.
public enum FuzzInput {
    /// Calls `body` with the input as a buffer; a `nil` pointer with size 0 becomes an empty buffer.
    public static func with(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard let data, size > 0 else {
            body(UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        body(UnsafeRawBufferPointer(start: data, count: size))
    }
}

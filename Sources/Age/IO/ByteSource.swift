/// Somewhere bytes are read from, one buffer at a time, so that large files stream.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer` and returns how many; 0 means end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads from an in-memory byte array.
public struct ByteArraySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        bytes.withUnsafeBytes { copyNext(from: $0, offset: &offset, into: buffer) }
    }
}

/// Reads from borrowed memory without copying it first.
struct UnsafeBytesSource: ByteSource {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        copyNext(from: bytes, offset: &offset, into: buffer)
    }
}

/// Copies as much of `source[offset...]` as fits into `buffer` and advances `offset`.
private func copyNext(
    from source: UnsafeRawBufferPointer, offset: inout Int, into buffer: UnsafeMutableRawBufferPointer
) -> Int {
    let count = Swift.min(buffer.count, source.count - offset)
    guard count > 0 else { return 0 }
    buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
    offset += count
    return count
}

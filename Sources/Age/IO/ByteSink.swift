import CryptoPrimitives

/// Somewhere bytes are written to.
public protocol ByteSink {
    /// Writes all of `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    /// Writes all of `bytes`.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Collects written bytes in an array. Use it for ciphertext; plaintext that is secret
/// belongs in ``AgeFile/decrypt(_:identities:)``, which keeps it in wiped storage.
public struct ByteArraySink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }
}

/// Writes into a fixed buffer the caller owns (used to decrypt straight into wiped storage).
struct FixedBufferSink: ByteSink {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count <= buffer.count - count else {
            throw AgeError.damagedPayload(reason: "payload longer than its ciphertext allows")
        }
        guard bytes.count > 0 else { return }
        (buffer.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }
}

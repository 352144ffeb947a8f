import COpenSSL

/// Key material that wipes itself.
///
/// The bytes live in a heap allocation owned by this value and are overwritten with
/// `OPENSSL_cleanse` when the last reference goes away, so they do not linger in freed memory.
/// Copies of a `SecureBytes` share one allocation, which is never mutated after initialization;
/// that is what makes the type safe to send between tasks.
public struct SecureBytes: Sendable {
    private final class Storage: @unchecked Sendable {
        let pointer: UnsafeMutableRawBufferPointer

        init(count: Int) {
            pointer = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
            pointer.initializeMemory(as: UInt8.self, repeating: 0)
        }

        deinit {
            OPENSSL_cleanse(pointer.baseAddress, pointer.count)
            pointer.deallocate()
        }
    }

    private let storage: Storage

    /// The number of bytes held.
    public let count: Int

    /// Creates `count` bytes filled by `initializer`, which writes into the fresh allocation.
    ///
    /// Use this to generate or derive key material directly into wiped storage, without an
    /// intermediate array that would outlive the key.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let storage = Storage(count: count)
        try initializer(UnsafeMutableRawBufferPointer(rebasing: storage.pointer[0..<count]))
        self.storage = storage
        self.count = count
    }

    /// Copies `bytes` into wiped storage. The caller remains responsible for its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        let count = bytes.count
        self.init(count: count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// `count` bytes from the operating system's CSPRNG (through OpenSSL's `RAND_bytes`).
    public static func random(count: Int) throws -> SecureBytes {
        try SecureBytes(count: count) { buffer in
            try SecureRandom.fill(buffer)
        }
    }

    /// Calls `body` with the bytes. Do not let the pointer escape.
    public func withUnsafeBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage.pointer[0..<count]))
    }

    /// Compares in constant time (the time depends on the lengths only).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in ConstantTime.equals(mine, theirs) }
        }
    }
}

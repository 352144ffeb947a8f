import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        // RAND_bytes takes an Int32 length; large buffers are filled in slices.
        while offset < buffer.count {
            let length = Swift.min(buffer.count - offset, Int(Int32.max))
            guard RAND_bytes(base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(length)) == 1 else {
                throw CryptoError.openSSL("RAND_bytes")
            }
            offset += length
        }
    }

    /// Returns `count` random bytes in an ordinary array, for values that are not secret
    /// (nonces, salts). Use ``SecureBytes/random(count:)`` for keys.
    public static func bytes(count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { try fill($0) }
        return result
    }
}

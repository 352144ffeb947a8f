import COpenSSL

/// Overwrites memory so that a secret does not survive in it.
public enum Cleanse {
    /// Overwrites `buffer` with `OPENSSL_cleanse`, which the compiler cannot optimize away.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        OPENSSL_cleanse(base, buffer.count)
    }

    /// Overwrites the contents of `array` (keeping its count).
    public static func wipe(_ array: inout [UInt8]) {
        array.withUnsafeMutableBytes { wipe($0) }
    }
}

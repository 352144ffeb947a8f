import COpenSSL

/// Comparisons whose running time does not depend on the contents compared.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Lengths are not secret: unequal lengths
    /// return `false` at once.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
    }

    /// True when `a` and `b` hold the same bytes.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in equals(x, y) } }
    }

    /// True when every byte of `bytes` is zero, examining all of them.
    public static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var accumulator: UInt8 = 0
        for byte in bytes { accumulator |= byte }
        return accumulator == 0
    }
}

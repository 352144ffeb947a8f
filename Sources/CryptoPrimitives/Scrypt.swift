import COpenSSL

/// The scrypt password-based key derivation function (RFC 7914).
public enum Scrypt {
    /// Bytes of memory scrypt needs for these parameters, as OpenSSL accounts for them
    /// (`128·r·p` for B plus `128·r·(N+2)` for V), or `UInt64.max` when that does not fit in
    /// 64 bits (hostile work factors must be refused, not crash the process).
    public static func memoryRequired(logN: Int, r: Int, p: Int) -> UInt64 {
        guard (0..<64).contains(logN), r > 0, p > 0 else { return .max }
        let n = UInt64(1) << UInt64(logN)
        let rowBytes = UInt64(r).multipliedReportingOverflow(by: 128)
        let blockBytes = rowBytes.partialValue.multipliedReportingOverflow(by: UInt64(p))
        let tableBytes = rowBytes.partialValue.multipliedReportingOverflow(by: n.addingReportingOverflow(2).partialValue)
        let total = blockBytes.partialValue.addingReportingOverflow(tableBytes.partialValue)
        guard !rowBytes.overflow, !blockBytes.overflow, n < .max - 2, !tableBytes.overflow, !total.overflow else {
            return .max
        }
        return total.partialValue
    }

    /// Derives `outputCount` bytes from `passphrase` and `salt` with N = 2^`logN`.
    ///
    /// - Parameter memoryLimit: the most memory the derivation may use. It is always explicit:
    ///   OpenSSL's own default (32 MiB) would silently refuse ordinary age work factors, and an
    ///   unbounded one would let a hostile file exhaust memory.
    /// - Throws: ``CryptoError/scryptMemoryLimitExceeded(needed:limit:)`` before doing any work when
    ///   the parameters need more than `memoryLimit`.
    public static func deriveKey(
        passphrase: SecureBytes, salt: some ContiguousByteStorage, logN: Int, r: Int = 8, p: Int = 1,
        outputCount: Int, memoryLimit: UInt64
    ) throws -> SecureBytes {
        guard (1...62).contains(logN), r > 0, p > 0, outputCount > 0 else {
            throw CryptoError.invalidScryptParameters
        }
        let needed = memoryRequired(logN: logN, r: r, p: p)
        guard needed <= memoryLimit, needed != .max else {
            throw CryptoError.scryptMemoryLimitExceeded(needed: needed, limit: memoryLimit)
        }
        var derived = false
        let key = SecureBytes(count: outputCount) { output in
            derived = passphrase.withUnsafeBytes { passphrase in
                salt.withUnsafeBytes { salt in
                    passphrase.bytePointer.withMemoryRebound(to: CChar.self, capacity: max(passphrase.count, 1)) { characters in
                        // maxmem is exactly what these parameters need: OpenSSL refuses anything above it.
                        EVP_PBE_scrypt(
                            characters, passphrase.count, salt.bytePointer, salt.count,
                            UInt64(1) << UInt64(logN), UInt64(r), UInt64(p), needed,
                            output.baseAddress!.assumingMemoryBound(to: UInt8.self), outputCount) == 1
                    }
                }
            }
        }
        guard derived else { throw CryptoError.openSSL("EVP_PBE_scrypt") }
        return key
    }
}

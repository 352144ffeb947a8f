import CryptoPrimitives

/// Bech32 (BIP 173) as age uses it for keys: no length limit, checksum constant 1.
///
/// Decoding works on bytes and returns the data in wiped storage, because identity strings
/// are secret keys.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverseCharset: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in charset.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// The BCH checksum over `parts` in order. Taking the parts separately, instead of one
    /// concatenated array, avoids an unwiped copy of key data.
    private static func polymod(_ parts: [UInt8]...) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for part in parts {
            for value in part {
                let top = checksum >> 25
                checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
                for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 {
                    checksum ^= generator[bit]
                }
            }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes `data` under the human-readable part `hrp`; `uppercase` for identities.
    static func encode(hrp: String, data: UnsafeRawBufferPointer, uppercase: Bool) -> SecureBytes {
        let lowerHRP = Array(hrp.lowercased().utf8)
        var groups = convertBits(data, from: 8, to: 5, pad: true)!
        defer { Cleanse.wipe(&groups) }
        let checksum = polymod(expand(lowerHRP), groups, [0, 0, 0, 0, 0, 0]) ^ 1
        let count = lowerHRP.count + 1 + groups.count + 6
        return SecureBytes(count: count) { output in
            var index = 0
            func append(_ byte: UInt8) {
                output[index] = uppercase ? asciiUppercase(byte) : byte
                index += 1
            }
            lowerHRP.forEach(append)
            append(UInt8(ascii: "1"))
            for group in groups { append(charset[Int(group)]) }
            for shift in stride(from: 25, through: 0, by: -5) {
                append(charset[Int((checksum >> UInt32(shift)) & 31)])
            }
        }
    }

    /// Decodes a Bech32 string given as ASCII bytes. Returns the human-readable part as written
    /// (case preserved, as age compares it) and the data bytes.
    static func decode(_ text: UnsafeRawBufferPointer) -> (hrp: String, data: SecureBytes)? {
        guard text.allSatisfy({ (33...126).contains($0) }) else { return nil }
        let hasLower = text.contains { (0x61...0x7A).contains($0) }
        let hasUpper = text.contains { (0x41...0x5A).contains($0) }
        guard !(hasLower && hasUpper) else { return nil }
        guard let separator = text.lastIndex(of: UInt8(ascii: "1")), separator >= 1, text.count - separator - 1 >= 6 else {
            return nil
        }
        let hrp = Array(text[0..<separator])
        let lowerHRP = hrp.map(asciiLowercase)
        var values: [UInt8] = []
        defer { Cleanse.wipe(&values) }
        values.reserveCapacity(text.count - separator - 1)
        for character in text[(separator + 1)...] {
            let lower = asciiLowercase(character)
            let value = lower < 128 ? reverseCharset[Int(lower)] : -1
            guard value >= 0 else { return nil }
            values.append(UInt8(value))
        }
        guard polymod(expand(lowerHRP), values) == 1 else { return nil }
        var data = values.withUnsafeBytes { convertBits(UnsafeRawBufferPointer(rebasing: $0[0..<(values.count - 6)]), from: 5, to: 8, pad: false) }
        defer { if data != nil { Cleanse.wipe(&data!) } }
        guard let bytes = data else { return nil }
        return (String(decoding: hrp, as: UTF8.self), SecureBytes(copying: bytes))
    }

    private static func convertBits(_ input: UnsafeRawBufferPointer, from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator: UInt32 = 0
        var bits = 0
        var output: [UInt8] = []
        output.reserveCapacity(input.count * from / to + 1)
        let maximum: UInt32 = (1 << UInt32(to)) - 1
        for value in input {
            guard UInt32(value) >> UInt32(from) == 0 else {
                Cleanse.wipe(&output)
                return nil
            }
            accumulator = accumulator << UInt32(from) | UInt32(value)
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8((accumulator >> UInt32(bits)) & maximum))
            }
        }
        if pad {
            if bits > 0 { output.append(UInt8((accumulator << UInt32(to - bits)) & maximum)) }
        } else if bits >= from || (accumulator << UInt32(to - bits)) & maximum != 0 {
            Cleanse.wipe(&output)
            return nil
        }
        return output
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 32 : byte
    }

    private static func asciiUppercase(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte - 32 : byte
    }
}

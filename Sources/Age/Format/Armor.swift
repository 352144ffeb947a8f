import CryptoPrimitives

/// ASCII armor, as the age specification defines it: the strict PEM encoding of RFC 7468,
/// section 3 (figure 3), with the case-sensitive label `AGE ENCRYPTED FILE`. Unlike the rest of
/// age it is padded base64, in lines of 64 columns.
///
/// Reading is strict, as the specification asks of a format that is otherwise malleable: only
/// whitespace before the first line and after the last; the BEGIN and END lines exactly; every
/// base64 line exactly 64 columns except the last, which has 4 to 64 (a multiple of 4) and the
/// only `=` padding; canonical base64 (unused bits zero). Lines end with LF, or CRLF throughout.
public enum Armor {
    static let beginLine = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let endLine = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let columns = 64

    /// Whether `bytes` are armored: the BEGIN line, after nothing but whitespace.
    public static func isArmored(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let start = bytes.firstIndex(where: { !isWhitespace($0) }) else { return false }
        return bytes[start...].starts(with: beginLine)
    }

    /// Whether `bytes` are armored (see ``isArmored(_:)-(UnsafeRawBufferPointer)``).
    public static func isArmored(_ bytes: some ContiguousByteStorage) -> Bool {
        bytes.withUnsafeBytes { isArmored($0) }
    }

    /// The age file `file` armored: the BEGIN line, padded base64 in lines of 64 columns, the
    /// END line, each ending with LF (what `age -a` writes).
    public static func armor(_ file: some ContiguousByteStorage) -> [UInt8] {
        file.withUnsafeBytes { file in
            var text = Base64.encode(file)
            while text.count % 4 != 0 { text.append(UInt8(ascii: "=")) }
            var output = beginLine + [UInt8(ascii: "\n")]
            output.reserveCapacity(text.count + text.count / columns + 80)
            var index = 0
            while index < text.count {
                let end = min(index + columns, text.count)
                output += text[index..<end]
                output.append(UInt8(ascii: "\n"))
                index = end
            }
            return output + endLine + [UInt8(ascii: "\n")]
        }
    }

    /// The binary age file inside the armored `text`.
    ///
    /// - Throws: ``AgeError/malformedArmor(reason:)`` for anything the strict encoding does not allow.
    public static func dearmor(_ text: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let first = text.firstIndex(where: { !isWhitespace($0) }),
              let last = text.lastIndex(where: { !isWhitespace($0) })
        else { throw AgeError.malformedArmor(reason: "there is nothing but whitespace") }
        var lines = text[first...last].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        // CRLF throughout, or LF throughout (the last line's ending was trimmed with the whitespace).
        if lines.count > 1, lines[0].last == UInt8(ascii: "\r") {
            for index in lines.indices.dropLast() {
                guard lines[index].last == UInt8(ascii: "\r") else { throw AgeError.malformedArmor(reason: "line \(index + 1) mixes line endings") }
                lines[index].removeLast()
            }
        }
        guard lines.count >= 3, lines[0] == beginLine else {
            throw AgeError.malformedArmor(reason: "the first line is not \"-----BEGIN AGE ENCRYPTED FILE-----\"")
        }
        guard lines[lines.count - 1] == endLine else {
            throw AgeError.malformedArmor(reason: "the last line is not \"-----END AGE ENCRYPTED FILE-----\" (or something follows it)")
        }
        let body = lines[1..<(lines.count - 1)]
        var encoded: [UInt8] = []
        encoded.reserveCapacity(body.count * columns)
        for (offset, line) in body.enumerated() {
            let isLast = offset == body.count - 1
            guard isLast ? (4...columns).contains(line.count) && line.count % 4 == 0 : line.count == columns else {
                throw AgeError.malformedArmor(reason: "line \(offset + 2) has \(line.count) columns; every line but the last has \(columns), the last a multiple of 4 up to \(columns)")
            }
            encoded += line
        }
        var padding = 0
        while padding < 2, encoded.last == UInt8(ascii: "=") {
            encoded.removeLast()
            padding += 1
        }
        // Padding only where the length needs it: 1 `=` after 3 characters, 2 after 2.
        guard padding == (4 - encoded.count % 4) % 4, let file = Base64.decode(encoded) else {
            throw AgeError.malformedArmor(reason: "the base64 is not canonical (stray characters, padding or unused bits)")
        }
        return file
    }

    /// The binary age file in `bytes`: dearmored when armored, else `bytes` as they are.
    public static func binary(_ bytes: some ContiguousByteStorage) throws -> [UInt8] {
        try bytes.withUnsafeBytes { isArmored($0) ? try dearmor($0) : Array($0) }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}

import CryptoPrimitives

/// An age v1 header: the recipient stanzas and the MAC that binds them to the file key.
///
/// Parsing is strict: only the one canonical encoding of a header is accepted, so that a
/// header cannot be re-encoded without invalidating its MAC.
struct Header {
    static let versionLine = Array("age-encryption.org/v1".utf8)
    static let versionPrefix = Array("age-encryption.org/".utf8)
    static let stanzaPrefix = Array("-> ".utf8)
    static let macPrefix = Array("--- ".utf8)
    static let bodyColumns = 64
    /// Upper bound on one header line; far above anything a real recipient writes.
    static let maximumLineLength = 64 * 1024
    /// Upper bound on the whole header, so that a hostile file cannot exhaust memory.
    static let maximumLength = 16 * 1024 * 1024

    var stanzas: [Stanza]
    /// The header bytes the MAC covers: everything up to and including `---`.
    var authenticatedBytes: [UInt8]
    /// The 32-byte HMAC-SHA-256 from the `---` line.
    var mac: [UInt8]

    /// The header MAC key for `fileKey`.
    static func macKey(for fileKey: FileKey) throws -> SecureBytes {
        try fileKey.derive(salt: [], label: "header")
    }

    /// Encodes stanzas and computes the MAC; returns the full header including the final newline.
    static func encode(stanzas: [Stanza], fileKey: FileKey) throws -> [UInt8] {
        var bytes = versionLine + [UInt8(ascii: "\n")]
        for stanza in stanzas {
            let words = [stanza.type] + stanza.arguments
            guard words.allSatisfy(isValidArgument) else {
                throw AgeError.invalidRecipientSet(reason: "stanza arguments must be non-empty visible ASCII")
            }
            bytes += stanzaPrefix + Array(words.joined(separator: " ").utf8) + [UInt8(ascii: "\n")]
            let body = Base64.encode(stanza.body)
            var offset = 0
            // Every body ends with a line shorter than 64 columns, empty if need be.
            repeat {
                let lineEnd = Swift.min(offset + bodyColumns, body.count)
                bytes += body[offset..<lineEnd] + [UInt8(ascii: "\n")]
                if lineEnd - offset < bodyColumns { break }
                offset = lineEnd
            } while true
        }
        bytes += Array("---".utf8)
        let mac = try HMAC.sha256(key: macKey(for: fileKey), message: bytes)
        bytes += [UInt8(ascii: " ")] + Base64.encode(mac) + [UInt8(ascii: "\n")]
        return bytes
    }

    /// Reads and parses a header, leaving `reader` at the first byte after it.
    static func parse<Source>(from reader: inout BufferedReader<Source>) throws -> Header {
        var authenticated: [UInt8] = []
        func nextLine() throws -> [UInt8] {
            guard let (line, terminated) = try reader.readLine(maximumLength: maximumLineLength), terminated else {
                throw AgeError.malformedHeader(reason: "header ends before the --- line")
            }
            guard authenticated.count + line.count < maximumLength else {
                throw AgeError.malformedHeader(reason: "header larger than \(maximumLength) bytes")
            }
            return line
        }

        let first = try nextLine()
        guard first == versionLine else {
            if isOtherVersion(first) { throw AgeError.unsupportedVersion }
            throw AgeError.malformedHeader(reason: "not an age file (missing age-encryption.org/v1 line)")
        }
        authenticated += first + [UInt8(ascii: "\n")]

        var stanzas: [Stanza] = []
        var line = try nextLine()
        while line.starts(with: stanzaPrefix) {
            authenticated += line + [UInt8(ascii: "\n")]
            let words = line.dropFirst(stanzaPrefix.count).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard words.allSatisfy({ isValidArgument($0) }) else {
                throw AgeError.malformedHeader(reason: "stanza arguments must be non-empty visible ASCII separated by single spaces")
            }
            var body: [UInt8] = []
            while true {
                let bodyLine = try nextLine()
                authenticated += bodyLine + [UInt8(ascii: "\n")]
                guard bodyLine.count <= bodyColumns, let decoded = Base64.decode(bodyLine) else {
                    throw AgeError.malformedHeader(reason: "stanza body is not canonical base64 in lines of at most 64 columns")
                }
                body += decoded
                if bodyLine.count < bodyColumns { break }
            }
            let strings = words.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(Stanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
            line = try nextLine()
        }

        guard line.starts(with: macPrefix) else {
            throw AgeError.malformedHeader(reason: "expected a stanza or the --- line")
        }
        let encodedMAC = line.dropFirst(macPrefix.count)
        guard encodedMAC.count == 43, let mac = Base64.decode(encodedMAC), mac.count == HMAC.sha256Count else {
            throw AgeError.malformedHeader(reason: "the header MAC is not 32 bytes of canonical base64")
        }
        guard !stanzas.isEmpty else {
            throw AgeError.malformedHeader(reason: "no recipient stanzas")
        }
        authenticated += Array("---".utf8)
        return Header(stanzas: stanzas, authenticatedBytes: authenticated, mac: mac)
    }

    /// True when the MAC matches `fileKey`, compared in constant time.
    func isAuthentic(for fileKey: FileKey) throws -> Bool {
        try HMAC.isValidSHA256(mac, key: Header.macKey(for: fileKey), message: authenticatedBytes)
    }

    /// `age-encryption.org/v` and a number other than 1: a later version, not a damaged line.
    static func isOtherVersion(_ line: [UInt8]) -> Bool {
        let marker = versionPrefix + [UInt8(ascii: "v")]
        guard line.starts(with: marker), line.count > marker.count else { return false }
        return line[marker.count...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    static func isValidArgument(_ argument: some Collection<UInt8>) -> Bool {
        !argument.isEmpty && argument.allSatisfy { (0x21...0x7E).contains($0) }
    }

    static func isValidArgument(_ argument: String) -> Bool {
        isValidArgument(Array(argument.utf8))
    }
}

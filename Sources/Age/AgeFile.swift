import CryptoPrimitives

/// Encrypts and decrypts age v1 files.
///
/// ```swift
/// let identity = try X25519Identity.generate()
/// let file = try AgeFile.encrypt(Array("hello".utf8), to: [identity.recipient])
/// let plaintext = try AgeFile.decrypt(file, identities: [identity])
/// ```
///
/// The streaming forms read and write one 64 KiB chunk at a time, so file size does not
/// affect memory use.
public enum AgeFile {
    /// Encrypts everything `source` yields to `recipients`, writing the age file to `sink`.
    public static func encrypt<Source: ByteSource, Sink: ByteSink>(
        from source: Source, to sink: inout Sink, recipients: [any AgeRecipient]
    ) throws {
        guard !recipients.isEmpty else {
            throw AgeError.invalidRecipientSet(reason: "at least one recipient is needed")
        }
        if recipients.count > 1, recipients.contains(where: \.mustBeOnlyRecipient) {
            throw AgeError.invalidRecipientSet(reason: "a passphrase (scrypt) recipient must be the only recipient")
        }
        try translatingCryptoErrors {
            let fileKey = try FileKey.generate()
            let stanzas = try recipients.flatMap { try $0.wrap(fileKey) }
            try sink.write(Header.encode(stanzas: stanzas, fileKey: fileKey))
            let nonce = try SecureRandom.bytes(count: PayloadStream.nonceSize)
            try sink.write(nonce)
            var reader = BufferedReader(source, capacity: 0)
            try PayloadStream.encrypt(from: &reader, to: &sink, key: PayloadStream.key(fileKey: fileKey, nonce: nonce))
        }
    }

    /// Encrypts `plaintext` to `recipients` and returns the age file.
    public static func encrypt(_ plaintext: some ContiguousByteStorage, to recipients: [any AgeRecipient]) throws -> [UInt8] {
        var sink = ByteArraySink()
        try plaintext.withUnsafeBytes { bytes in
            try encrypt(from: UnsafeBytesSource(bytes), to: &sink, recipients: recipients)
        }
        return sink.bytes
    }

    /// Decrypts the age file `source` yields with the first identity that matches, writing the
    /// plaintext to `sink` as each chunk is authenticated.
    ///
    /// If the payload turns out damaged part-way, the chunks before the damage have already
    /// been written; write to a temporary file and keep it only when this returns.
    public static func decrypt<Source: ByteSource, Sink: ByteSink>(
        from source: Source, to sink: inout Sink, identities: [any AgeIdentity]
    ) throws {
        try translatingCryptoErrors {
            var reader = BufferedReader(source)
            let header = try Header.parse(from: &reader)
            let fileKey = try unwrapFileKey(header, identities: identities)
            guard try header.isAuthentic(for: fileKey) else { throw AgeError.headerMACMismatch }
            var nonce = [UInt8](repeating: 0, count: PayloadStream.nonceSize)
            let nonceCount = try nonce.withUnsafeMutableBytes { try reader.readFully(into: $0) }
            guard nonceCount == PayloadStream.nonceSize else {
                throw AgeError.malformedHeader(reason: "the file ends inside the payload nonce")
            }
            try PayloadStream.decrypt(from: &reader, to: &sink, key: PayloadStream.key(fileKey: fileKey, nonce: nonce))
        }
    }

    /// Decrypts an age file held in memory, binary or ASCII-armored (``Armor``, read strictly);
    /// the plaintext comes back in wiped storage.
    public static func decrypt(_ file: some ContiguousByteStorage, identities: [any AgeIdentity]) throws -> SecureBytes {
        if Armor.isArmored(file) { return try decrypt(try Armor.binary(file), identities: identities) }
        return try file.withUnsafeBytes { file in
            // The plaintext is never longer than the file, so it is decrypted straight into wiped
            // storage of that size and then trimmed, leaving no unwiped copies behind.
            var plaintextCount = 0
            let scratch = try SecureBytes(count: file.count) { buffer in
                var sink = FixedBufferSink(buffer)
                try decrypt(from: UnsafeBytesSource(file), to: &sink, identities: identities)
                plaintextCount = sink.count
            }
            return scratch.withUnsafeBytes { SecureBytes(copying: $0[0..<plaintextCount]) }
        }
    }

    static func unwrapFileKey(_ header: Header, identities: [any AgeIdentity]) throws -> FileKey {
        let isPassphraseFile = header.stanzas.contains { $0.type == ScryptRecipient.stanzaType }
        if isPassphraseFile && header.stanzas.count != 1 {
            throw AgeError.malformedHeader(reason: "an scrypt stanza must be the only stanza")
        }
        // Identity by identity, each over every stanza (as the reference implementation does), so
        // a stanza of the identity's type that is malformed is reported, not skipped past.
        for identity in identities {
            for stanza in header.stanzas {
                if let fileKey = try identity.unwrap(stanza) { return fileKey }
            }
        }
        if isPassphraseFile && identities.contains(where: { $0 is ScryptIdentity }) {
            throw AgeError.incorrectPassphrase
        }
        throw AgeError.noMatchingIdentity
    }

    private static func translatingCryptoErrors<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as CryptoError {
            throw AgeError.crypto(error)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CryptoPrimitives

/// Identity files as `age-keygen` writes them and `age -i` reads them: one
/// `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines allowed. A file that is itself
/// an age file is a passphrase-protected identity file; its plaintext is an identity file.
public enum IdentityFile {
    /// Identity files larger than this are refused; real ones are a few hundred bytes.
    public static let maximumSize = 1024 * 1024

    /// Parses the contents of a plain identity file.
    ///
    /// - Throws: ``AgeError/invalidIdentity(reason:)`` naming the line number (never its contents)
    ///   of the first line that is neither a comment nor an X25519 identity, or when there is no
    ///   identity at all.
    public static func parse(_ contents: UnsafeRawBufferPointer) throws -> [X25519Identity] {
        var identities: [X25519Identity] = []
        var lineNumber = 0
        for var line in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let text = UnsafeRawBufferPointer(rebasing: line)
            if text.starts(with: "AGE-PLUGIN-".utf8) {
                throw AgeError.invalidIdentity(reason: "line \(lineNumber) is an age plugin identity, which is not supported")
            }
            do {
                identities.append(try X25519Identity(encoded: text))
            } catch {
                throw AgeError.invalidIdentity(reason: "line \(lineNumber) is not an AGE-SECRET-KEY-1… identity")
            }
        }
        guard !identities.isEmpty else { throw AgeError.invalidIdentity(reason: "the file holds no identity") }
        return identities
    }

    /// True when `contents` is an age file, binary or armored (`age -p` or `age -a -p`), that is,
    /// a passphrase-protected identity file. Such contents never parse as a plain identity file.
    public static func isEncrypted(_ contents: UnsafeRawBufferPointer) -> Bool {
        contents.starts(with: Header.versionPrefix) || Armor.isArmored(contents)
    }

    /// Parses identity file contents, decrypting them first with the passphrase `passphrase`
    /// supplies when they are an age file. `passphrase` is called only in that case, and only
    /// once the header shows a passphrase-protected file.
    public static func parse(_ contents: SecureBytes, passphrase: () throws -> SecureBytes) throws -> [X25519Identity] {
        try contents.withUnsafeBytes { bytes in
            if Armor.isArmored(bytes) {
                // `age -a -p`: the same passphrase-protected identity, armored.
                let binary = try Armor.dearmor(bytes)
                guard binary.starts(with: Header.versionPrefix) else {
                    throw AgeError.invalidIdentity(reason: "the armored identity file does not hold an age file")
                }
                return try parse(SecureBytes(copying: binary), passphrase: passphrase)
            }
            guard bytes.starts(with: Header.versionPrefix) else { return try parse(bytes) }
            var reader = BufferedReader(UnsafeBytesSource(bytes))
            let stanzas = try Header.parse(from: &reader).stanzas
            guard stanzas.count == 1, stanzas[0].type == ScryptRecipient.stanzaType else {
                throw AgeError.invalidIdentity(reason: "the identity file is encrypted, but not with a passphrase")
            }
            let plaintext = try AgeFile.decrypt(bytes, identities: [ScryptIdentity(passphrase: passphrase())])
            return try plaintext.withUnsafeBytes { try parse($0) }
        }
    }

    /// Reads and parses the identity file at `path`, asking `passphrase` only if it is encrypted.
    public static func load(path: String, passphrase: () throws -> SecureBytes) throws -> [X25519Identity] {
        try parse(read(path: path), passphrase: passphrase)
    }

    /// Reads and parses an identity file from `file`, already open for reading, asking
    /// `passphrase` only if it is encrypted. For a caller that checked the open descriptor
    /// (its type, owner and mode) first, so that what it checked is what is read.
    ///
    /// - Parameter path: the file's path, for messages only.
    public static func load(from file: FileDescriptor, path: String, passphrase: () throws -> SecureBytes) throws -> [X25519Identity] {
        try parse(read(from: file, path: path), passphrase: passphrase)
    }

    /// The contents `age-keygen` would write for `identity`: creation time, public key, secret key.
    ///
    /// - Parameter created: an RFC 3339 timestamp for the `# created:` comment, or `nil` to omit it.
    public static func contents(for identity: X25519Identity, created: String?) -> SecureBytes {
        var prefix = ""
        if let created { prefix += "# created: \(created)\n" }
        prefix += "# public key: \(identity.recipient)\n"
        let prefixBytes = Array(prefix.utf8)
        let key = identity.encoded()
        return SecureBytes(count: prefixBytes.count + key.count + 1) { buffer in
            buffer.copyBytes(from: prefixBytes)
            key.withUnsafeBytes { key in
                UnsafeMutableRawBufferPointer(rebasing: buffer[prefixBytes.count...]).copyMemory(from: key)
            }
            buffer[buffer.count - 1] = UInt8(ascii: "\n")
        }
    }

    /// Writes a new identity file at `path` with mode 0600, refusing to overwrite an existing file.
    ///
    /// - Parameter passphrase: when given, the file is an age file encrypted with it (scrypt),
    ///   as `age -p` would write it; otherwise the file is plain text.
    public static func write(
        _ identity: X25519Identity, to path: String, created: String?, passphrase: SecureBytes? = nil,
        workFactor: Int = ScryptRecipient.defaultWorkFactor
    ) throws {
        let plain = contents(for: identity, created: created)
        var file = try FileDescriptor.create(path, mode: 0o600, exclusive: true)
        do {
            if let passphrase {
                let recipient = try ScryptRecipient(passphrase: passphrase, workFactor: workFactor)
                try plain.withUnsafeBytes { bytes in
                    try AgeFile.encrypt(from: UnsafeBytesSource(bytes), to: &file, recipients: [recipient])
                }
            } else {
                try plain.withUnsafeBytes { try file.write($0) }
            }
            try file.close()
        } catch {
            try? file.close()
            unlink(path)
            throw error
        }
    }

    /// Reads a whole (small) file into wiped storage. Works for pipes and process substitution
    /// too (`<(…)`, `/dev/stdin`), which report no size, so it reads to the end of input.
    static func read(path: String) throws -> SecureBytes {
        let file = try FileDescriptor.openForReading(path)
        defer { try? file.close() }
        return try read(from: file, path: path)
    }

    /// Reads a whole (small) file from `file` into wiped storage; `path` names it in messages.
    static func read(from file: FileDescriptor, path: String) throws -> SecureBytes {
        var file = file
        var count = 0
        // One byte more than expected tells an oversized file from one of exactly the limit. A
        // regular file says its size, so its buffer is that size; a pipe gets the whole limit.
        var status = stat()
        let isRegular = fstat(file.rawValue, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        let capacity = isRegular ? min(Int(status.st_size), maximumSize) + 1 : maximumSize + 1
        let contents = try SecureBytes(count: capacity) { buffer in
            while count < buffer.count {
                let read = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                if read == 0 { break }
                count += read
            }
        }
        guard count <= maximumSize else {
            throw AgeError.invalidIdentity(reason: "\(path) is larger than \(maximumSize) bytes, too large for an identity file")
        }
        guard !(isRegular && count == capacity) else {
            throw AgeError.io(reason: "\(path) grew while it was being read; try again")
        }
        return contents.withUnsafeBytes { SecureBytes(copying: $0[0..<count]) }
    }
}

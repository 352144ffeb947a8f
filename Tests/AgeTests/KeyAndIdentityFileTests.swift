import Age
import CryptoPrimitives
import Foundation
import Testing

/// Key encodings, identity files, and the rules for recipients and passphrases.
@Suite("keys and identity files")
struct KeyAndIdentityFileTests {
    // An identity from the age test kit and its recipient, as `age-keygen -y` prints it.
    static let kitIdentity = "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6"
    static let kitRecipient = "age1w3tyke4gev25vaxxsvcgqu4484rf6ejpmavs57p6yz6lhy2sfs5swrvwyn"

    @Test("an identity's recipient matches age-keygen -y, and both encodings round-trip")
    func encodings() throws {
        let identity = try X25519Identity(Self.kitIdentity)
        #expect(identity.recipient.description == Self.kitRecipient)
        #expect(try X25519Recipient(Self.kitRecipient) == identity.recipient)
        #expect(identity.encoded().withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == Self.kitIdentity)
    }

    @Test("malformed keys are refused", arguments: [
        "age1w3tyke4gev25vaxxsvcgqu4484rf6ejpmavs57p6yz6lhy2sfs5swrvwyM",  // mixed case
        "age1w3tyke4gev25vaxxsvcgqu4484rf6ejpmavs57p6yz6lhy2sfs5swrvwyq",  // bad checksum
        "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp7mmdgp",                        // wrong length
        "AGE1W3TYKE4GEV25VAXXSVCGQU4484RF6EJPMAVS57P6YZ6LHY2SFS5SWRVWYN",  // upper-case recipient
        "age1",
        "",
    ])
    func malformedRecipients(_ text: String) {
        #expect(throws: AgeError.self) { try X25519Recipient(text) }
    }

    @Test("an identity must be upper case and carry the AGE-SECRET-KEY- prefix")
    func malformedIdentities() {
        #expect(throws: AgeError.self) { try X25519Identity(Self.kitIdentity.lowercased()) }
        #expect(throws: AgeError.self) { try X25519Identity(Self.kitRecipient) }
        #expect(throws: AgeError.self) { try X25519Identity(String(Self.kitIdentity.dropLast()) + "Q") }
    }

    @Test("identity files: comments, blank lines, CRLF and several keys")
    func identityFileParsing() throws {
        let second = try X25519Identity.generate()
        let secondText = second.encoded().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        let text = "# created: 2026-11-28T05:00:00Z\r\n# public key: \(Self.kitRecipient)\r\n\(Self.kitIdentity)\r\n\n\(secondText)\n"
        let identities = try Array(text.utf8).withUnsafeBytes { try IdentityFile.parse($0) }
        #expect(identities.map(\.recipient) == [try X25519Recipient(Self.kitRecipient), second.recipient])
    }

    @Test("a bad identity file line is reported by number, never by content")
    func identityFileErrorsHideContent() throws {
        let secretLooking = "AGE-SECRET-KEY-1NOTAREALKEYBUTSECRETANYWAY"
        let text = "# comment\n\(Self.kitIdentity)\n\(secretLooking)\n"
        do {
            _ = try Array(text.utf8).withUnsafeBytes { try IdentityFile.parse($0) }
            Issue.record("a malformed identity line was accepted")
        } catch let error as AgeError {
            #expect(error == .invalidIdentity(reason: "line 3 is not an AGE-SECRET-KEY-1… identity"))
            #expect(!"\(error)".contains("NOTAREALKEY"))
            #expect(!"\(error)".contains(Self.kitIdentity))
        }
        #expect(throws: AgeError.invalidIdentity(reason: "the file holds no identity")) {
            try Array("# only a comment\n".utf8).withUnsafeBytes { try IdentityFile.parse($0) }
        }
    }

    @Test("identity files are written 0600, refuse to overwrite, and load back; encrypted ones need the passphrase")
    func identityFileWriteAndLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("age-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let identity = try X25519Identity.generate()
        let plainPath = directory.appendingPathComponent("plain.txt").path
        let lockedPath = directory.appendingPathComponent("locked.age").path
        let passphrase = SecureBytes(copying: Array("correct horse battery staple".utf8))

        try IdentityFile.write(identity, to: plainPath, created: "2026-11-28T05:00:00Z")
        try IdentityFile.write(identity, to: lockedPath, created: nil, passphrase: passphrase, workFactor: 10)
        for path in [plainPath, lockedPath] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path)")
        }
        #expect(throws: AgeError.self) { try IdentityFile.write(identity, to: plainPath, created: nil) }

        let plainText = try String(contentsOfFile: plainPath, encoding: .utf8)
        #expect(plainText.hasPrefix("# created: 2026-11-28T05:00:00Z\n# public key: \(identity.recipient)\nAGE-SECRET-KEY-1"))
        let loaded = try IdentityFile.load(path: plainPath) {
            Issue.record("a plain identity file asked for a passphrase")
            return passphrase
        }
        #expect(loaded.map(\.recipient) == [identity.recipient])

        let locked = try Data(contentsOf: URL(fileURLWithPath: lockedPath))
        #expect(locked.starts(with: Array("age-encryption.org/v1\n-> scrypt ".utf8)))
        #expect(try IdentityFile.load(path: lockedPath) { passphrase }.map(\.recipient) == [identity.recipient])
        #expect(throws: AgeError.incorrectPassphrase) {
            try IdentityFile.load(path: lockedPath) { SecureBytes(copying: Array("wrong".utf8)) }
        }
    }

    @Test("a passphrase recipient must be alone, and its work factor is bounded")
    func scryptRules() throws {
        let passphrase = SecureBytes(copying: Array("pass".utf8))
        let scrypt = try ScryptRecipient(passphrase: passphrase, workFactor: 10)
        let other = try X25519Identity.generate().recipient
        #expect(throws: AgeError.invalidRecipientSet(reason: "a passphrase (scrypt) recipient must be the only recipient")) {
            try AgeFile.encrypt([1, 2, 3], to: [scrypt, other])
        }
        #expect(throws: AgeError.workFactorTooHigh(logN: 23, limit: 22)) {
            try ScryptRecipient(passphrase: passphrase, workFactor: 23)
        }
        let file = try AgeFile.encrypt([1, 2, 3], to: [scrypt])
        #expect(try AgeFile.decrypt(file, identities: [ScryptIdentity(passphrase: passphrase)]).withUnsafeBytes { Array($0) } == [1, 2, 3])
        // A reader may set a lower ceiling than the file's work factor; it refuses before deriving.
        #expect(throws: AgeError.workFactorTooHigh(logN: 10, limit: 9)) {
            try AgeFile.decrypt(file, identities: [ScryptIdentity(passphrase: passphrase, maximumWorkFactor: 9)])
        }
        #expect(throws: AgeError.incorrectPassphrase) {
            try AgeFile.decrypt(file, identities: [ScryptIdentity(passphrase: SecureBytes(copying: Array("nope".utf8)))])
        }
        #expect(throws: AgeError.noMatchingIdentity) {
            try AgeFile.decrypt(file, identities: [X25519Identity.generate()])
        }
    }

    @Test("the header is canonical: stanzas and 64-column body lines as the spec writes them")
    func headerShape() throws {
        let identities = try (0..<2).map { _ in try X25519Identity.generate() }
        let file = try AgeFile.encrypt([], to: identities.map(\.recipient))
        let text = String(decoding: file.prefix(400), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "age-encryption.org/v1")
        #expect(lines[1].hasPrefix("-> X25519 ") && lines[1].count == "-> X25519 ".count + 43)
        #expect(lines[2].count == 43)  // 32-byte body: one short line
        #expect(lines[3].hasPrefix("-> X25519 "))
        #expect(lines[5].hasPrefix("--- ") && lines[5].count == 4 + 43)
    }

    @Test("no recipients, or identities that match nothing, are clear errors")
    func emptySets() throws {
        #expect(throws: AgeError.invalidRecipientSet(reason: "at least one recipient is needed")) {
            try AgeFile.encrypt([1], to: [])
        }
        let file = try AgeFile.encrypt([1], to: [X25519Identity.generate().recipient])
        #expect(throws: AgeError.noMatchingIdentity) { try AgeFile.decrypt(file, identities: []) }
        #expect(throws: AgeError.malformedHeader(reason: "not an age file (missing age-encryption.org/v1 line)")) {
            try AgeFile.decrypt(Array("hello\n".utf8), identities: [])
        }
    }

    @Test("identity files load from pipes, which report no size")
    func identityFileFromPipe() throws {
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        var writer = FileDescriptor(rawValue: descriptors[1])
        try writer.write(Array("# from a pipe\n\(Self.kitIdentity)\n".utf8))
        try writer.close()
        let reader = FileDescriptor(rawValue: descriptors[0])
        defer { try? reader.close() }
        let identities = try IdentityFile.load(path: "/proc/self/fd/\(descriptors[0])") { SecureBytes(copying: [0]) }
        #expect(identities.map(\.recipient.description) == [Self.kitRecipient])
    }

    @Test("armor around something other than an age file, or a file encrypted to a key, is refused without asking for a passphrase")
    func unsupportedEncryptedIdentityFiles() throws {
        let armored = SecureBytes(copying: Array("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n".utf8))
        #expect(throws: AgeError.self) {
            try IdentityFile.parse(armored) {
                Issue.record("asked for a passphrase for an armored file")
                return SecureBytes(copying: [0])
            }
        }
        // Broken armor fails with an armor error, so armored contents count as an age file,
        // never as a plain identity file (the property FuzzIdentityFile checks).
        let broken = Array("-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n".utf8)
        #expect(broken.withUnsafeBytes { IdentityFile.isEncrypted($0) })
        #expect(Array("AGE-SECRET-KEY-1\n".utf8).withUnsafeBytes { !IdentityFile.isEncrypted($0) })
        let toKey = try AgeFile.encrypt(Array(Self.kitIdentity.utf8), to: [X25519Identity.generate().recipient])
        #expect(throws: AgeError.invalidIdentity(reason: "the identity file is encrypted, but not with a passphrase")) {
            try IdentityFile.parse(SecureBytes(copying: toKey)) {
                Issue.record("asked for a passphrase for a file encrypted to a key")
                return SecureBytes(copying: [0])
            }
        }
    }
}

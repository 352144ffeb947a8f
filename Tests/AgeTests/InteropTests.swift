import Age
import CryptoPrimitives
import Foundation
import ProcessHarness
import Testing

/// Interoperability with the stock `age` 1.1.1 and `age-keygen` tools: files, identity files and
/// passphrase files written by either side must be read by the other, byte for byte.
///
/// The tools are required: when they are missing every test fails with an explanation.
@Suite struct InteropTests {
    /// Empty, one byte, exactly one chunk, one chunk and a byte, and several MiB ending mid-chunk.
    static let payloadSizes = [0, 1, 65536, 65537, 5 * 1024 * 1024 + 123]
    /// Low enough to keep the tests fast, where the choice is ours.
    static let fastWorkFactor = 10

    // MARK: - Tools

    @Test func stockAgeToolsArePresent() throws {
        let tool = try AgeTool.locate()
        let version = try tool.age(["--version"])
        try #require(version.succeeded, "\(version)")
        #expect(version.output.hasPrefix("1.") || version.output.hasPrefix("v1."), "unexpected age version: \(version.output)")
        let keygenVersion = try tool.ageKeygen(["--version"])
        #expect(keygenVersion.succeeded, "\(keygenVersion)")
    }

    // MARK: - X25519 files, by payload size

    @Test(arguments: payloadSizes)
    func ageDecryptsFilesEncryptedHere(size: Int) throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let identityPath = directory.path("identity.txt")
        try IdentityFile.write(identity, to: identityPath, created: nil)
        let payload = try randomBytes(size)

        try directory.write(AgeFile.encrypt(payload, to: [identity.recipient]), to: "in-memory.age")
        try directory.write(payload, to: "plaintext")
        try encryptStreaming(
            from: directory.path("plaintext"), to: directory.path("streamed.age"), recipients: [identity.recipient])

        // To standard output: with `-o`, age creates the output file only on its first write, so
        // an empty plaintext would leave no file at all.
        for file in ["in-memory.age", "streamed.age"] {
            let result = try tool.age(["-d", "-i", identityPath, directory.path(file)])
            try #require(result.succeeded, "age could not decrypt \(file) (\(size) bytes): \(result)")
            expectIdentical([UInt8](result.standardOutput), payload, "age's decryption of \(file) (\(size) bytes)")
        }
    }

    @Test(arguments: payloadSizes)
    func filesEncryptedByAgeDecryptHere(size: Int) throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let payload = try randomBytes(size)
        let plaintextPath = try directory.write(payload, to: "plaintext")

        let result = try tool.age(["-r", identity.recipient.description, "-o", directory.path("file.age"), plaintextPath])
        try #require(result.succeeded, "\(result)")

        let inMemory = try AgeFile.decrypt(directory.bytes("file.age"), identities: [identity])
        expectIdentical(inMemory.withUnsafeBytes { Array($0) }, payload, "in-memory decryption (\(size) bytes)")

        try decryptStreaming(from: directory.path("file.age"), to: directory.path("streamed.out"), identities: [identity])
        expectIdentical(try directory.bytes("streamed.out"), payload, "streaming decryption (\(size) bytes)")
    }

    // MARK: - Several X25519 recipients

    @Test(arguments: [1, 3])
    func ageDecryptsFilesEncryptedHereWithEachRecipientsIdentity(recipientCount: Int) throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identities = try (0..<recipientCount).map { _ in try X25519Identity.generate() }
        for (index, identity) in identities.enumerated() {
            try IdentityFile.write(identity, to: directory.path("identity-\(index).txt"), created: nil)
        }
        let outsider = try X25519Identity.generate()
        try IdentityFile.write(outsider, to: directory.path("outsider.txt"), created: nil)
        let payload = try randomBytes(100_000)
        try directory.write(AgeFile.encrypt(payload, to: identities.map(\.recipient)), to: "file.age")

        for index in identities.indices {
            let output = "out-\(index)"
            let result = try tool.age([
                "-d", "-i", directory.path("identity-\(index).txt"), "-o", directory.path(output), directory.path("file.age"),
            ])
            try #require(result.succeeded, "identity \(index) of \(recipientCount): \(result)")
            expectIdentical(try directory.bytes(output), payload, "age's decryption with identity \(index) of \(recipientCount)")
        }

        let refused = try tool.age(["-d", "-i", directory.path("outsider.txt"), directory.path("file.age")])
        #expect(!refused.succeeded && refused.standardOutput.isEmpty, "age decrypted with an identity that is not a recipient: \(refused)")
    }

    @Test(arguments: [1, 3])
    func filesEncryptedByAgeForSeveralRecipientsDecryptHereWithEachIdentity(recipientCount: Int) throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identities = try (0..<recipientCount).map { _ in try X25519Identity.generate() }
        let payload = try randomBytes(100_000)
        let plaintextPath = try directory.write(payload, to: "plaintext")

        // All but the first recipient as a recipients file (-R), so that both forms are used.
        let recipientsFile = identities.dropFirst().map { "\($0.recipient)\n" }.joined()
        let recipientsPath = try directory.write(Array(("# recipients\n" + recipientsFile).utf8), to: "recipients.txt")
        var arguments = ["-r", identities[0].recipient.description]
        if recipientCount > 1 { arguments += ["-R", recipientsPath] }
        let result = try tool.age(arguments + ["-o", directory.path("file.age"), plaintextPath])
        try #require(result.succeeded, "\(result)")
        let file = try directory.bytes("file.age")

        for (index, identity) in identities.enumerated() {
            let plaintext = try AgeFile.decrypt(file, identities: [identity])
            expectIdentical(plaintext.withUnsafeBytes { Array($0) }, payload, "decryption with identity \(index) of \(recipientCount)")
        }
        #expect(throws: AgeError.noMatchingIdentity) {
            _ = try AgeFile.decrypt(file, identities: [X25519Identity.generate()])
        }
    }

    // MARK: - Identity files

    @Test func identityGeneratedByAgeKeygenLoadsHere() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyPath = directory.path("key.txt")
        let generated = try tool.ageKeygen(["-o", keyPath])
        try #require(generated.succeeded, "\(generated)")
        let publicKey = try self.publicKey(of: keyPath, tool: tool)

        let identities = try IdentityFile.load(path: keyPath) {
            throw HarnessError("asked for a passphrase for a plain identity file")
        }
        try #require(identities.count == 1)
        let identity = identities[0]
        #expect(identity.recipient.description == publicKey)
        let recipient = try X25519Recipient(publicKey)
        #expect(recipient == identity.recipient)

        // age encrypts to the public key (as a recipients file), we decrypt with the loaded identity.
        let payload = try randomBytes(70_000)
        let plaintextPath = try directory.write(payload, to: "plaintext")
        let recipientsPath = try directory.write(Array("\(publicKey)\n".utf8), to: "key.pub")
        let encrypted = try tool.age(["-R", recipientsPath, "-o", directory.path("to-us.age"), plaintextPath])
        try #require(encrypted.succeeded, "\(encrypted)")
        let plaintext = try AgeFile.decrypt(directory.bytes("to-us.age"), identities: [identity])
        expectIdentical(plaintext.withUnsafeBytes { Array($0) }, payload, "decryption with the age-keygen identity")

        // We encrypt to the parsed `age1…` string, age decrypts with its own key file.
        try directory.write(AgeFile.encrypt(payload, to: [recipient]), to: "to-age.age")
        let decrypted = try tool.age(["-d", "-i", keyPath, "-o", directory.path("to-age.out"), directory.path("to-age.age")])
        try #require(decrypted.succeeded, "\(decrypted)")
        expectIdentical(try directory.bytes("to-age.out"), payload, "age's decryption with its own key")
    }

    @Test func identityFileWrittenHereWorksWithAge() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let keyPath = directory.path("key.txt")
        let created = "2024-05-01T12:00:00Z"
        try IdentityFile.write(identity, to: keyPath, created: created)

        let expected = IdentityFile.contents(for: identity, created: created).withUnsafeBytes { Array($0) }
        expectIdentical(try directory.bytes("key.txt"), expected, "identity file contents")
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try publicKey(of: keyPath, tool: tool) == identity.recipient.description)

        // age decrypts our file with our identity file, and encrypts to it with `-e -i`.
        let payload = try randomBytes(70_000)
        let plaintextPath = try directory.write(payload, to: "plaintext")
        try directory.write(AgeFile.encrypt(payload, to: [identity.recipient]), to: "ours.age")
        let decrypted = try tool.age(["-d", "-i", keyPath, "-o", directory.path("ours.out"), directory.path("ours.age")])
        try #require(decrypted.succeeded, "\(decrypted)")
        expectIdentical(try directory.bytes("ours.out"), payload, "age's decryption with our identity file")

        let encrypted = try tool.age(["-e", "-i", keyPath, "-o", directory.path("theirs.age"), plaintextPath])
        try #require(encrypted.succeeded, "\(encrypted)")
        let plaintext = try AgeFile.decrypt(directory.bytes("theirs.age"), identities: [identity])
        expectIdentical(plaintext.withUnsafeBytes { Array($0) }, payload, "decryption of age's file to our identity file")
    }

    // MARK: - Passphrases (age reads them from the terminal)

    @Test func passphraseProtectedIdentityFileWrittenHereWorksWithAge() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let passphrase = try randomPassphrase()
        let keyPath = directory.path("key.age")
        try IdentityFile.write(
            identity, to: keyPath, created: nil, passphrase: SecureBytes(copying: Array(passphrase.utf8)),
            workFactor: Self.fastWorkFactor)
        try expectScryptHeader(directory.bytes("key.age"), workFactor: Self.fastWorkFactor)

        let payload = try randomBytes(70_000)
        try directory.write(AgeFile.encrypt(payload, to: [identity.recipient]), to: "file.age")
        let decrypted = try tool.ageOnTerminal(
            ["-d", "-i", keyPath, "-o", directory.path("file.out"), directory.path("file.age")], typing: [passphrase])
        try #require(decrypted.succeeded, "\(decrypted)")
        #expect(decrypted.output.contains("passphrase"), "age did not prompt for the passphrase: \(decrypted)")
        #expect(!decrypted.output.contains(passphrase), "the passphrase was echoed")
        expectIdentical(try directory.bytes("file.out"), payload, "age's decryption with our passphrase-protected identity file")

        // The terminal route really checks the passphrase: a wrong one fails.
        let refused = try tool.ageOnTerminal(
            ["-d", "-i", keyPath, "-o", directory.path("wrong.out"), directory.path("file.age")], typing: [passphrase + "x"])
        #expect(!refused.succeeded && !refused.timedOut, "age accepted a wrong passphrase: \(refused)")
        #expect(!directory.contains("wrong.out"))
    }

    @Test func identityFileEncryptedWithAgePassphraseLoadsHere() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let keyPath = directory.path("key.txt")
        let generated = try tool.ageKeygen(["-o", keyPath])
        try #require(generated.succeeded, "\(generated)")
        let publicKey = try self.publicKey(of: keyPath, tool: tool)
        let passphrase = try randomPassphrase()

        // age -p asks for the passphrase and then for its confirmation.
        let encryptedKeyPath = directory.path("key.age")
        let protected = try tool.ageOnTerminal(["-p", "-o", encryptedKeyPath, keyPath], typing: [passphrase, passphrase])
        try #require(protected.succeeded, "\(protected)")
        try expectScryptHeader(directory.bytes("key.age"), workFactor: ScryptRecipient.defaultWorkFactor)

        var passphraseRequests = 0
        let identities = try IdentityFile.load(path: encryptedKeyPath) {
            passphraseRequests += 1
            return SecureBytes(copying: Array(passphrase.utf8))
        }
        #expect(passphraseRequests == 1)
        try #require(identities.count == 1)
        #expect(identities[0].recipient.description == publicKey)

        let payload = try randomBytes(70_000)
        let plaintextPath = try directory.write(payload, to: "plaintext")
        let encrypted = try tool.age(["-r", publicKey, "-o", directory.path("file.age"), plaintextPath])
        try #require(encrypted.succeeded, "\(encrypted)")
        let plaintext = try AgeFile.decrypt(directory.bytes("file.age"), identities: identities)
        expectIdentical(plaintext.withUnsafeBytes { Array($0) }, payload, "decryption with the identity from age -p's file")
    }

    @Test func filesEncryptedByAgeWithPassphraseDecryptHere() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let passphrase = try randomPassphrase()
        let payload = try randomBytes(200_000)
        let plaintextPath = try directory.write(payload, to: "plaintext")

        let encrypted = try tool.ageOnTerminal(
            ["-p", "-o", directory.path("file.age"), plaintextPath], typing: [passphrase, passphrase])
        try #require(encrypted.succeeded, "\(encrypted)")
        let file = try directory.bytes("file.age")
        try expectScryptHeader(file, workFactor: ScryptRecipient.defaultWorkFactor)

        let plaintext = try AgeFile.decrypt(file, identities: [ScryptIdentity(passphrase: SecureBytes(copying: Array(passphrase.utf8)))])
        expectIdentical(plaintext.withUnsafeBytes { Array($0) }, payload, "decryption of age -p's file")
    }

    @Test func filesEncryptedHereWithPassphraseDecryptWithAge() throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let passphrase = try randomPassphrase()
        let payload = try randomBytes(200_000)
        let recipient = try ScryptRecipient(
            passphrase: SecureBytes(copying: Array(passphrase.utf8)), workFactor: Self.fastWorkFactor)
        let file = try AgeFile.encrypt(payload, to: [recipient])
        try expectScryptHeader(file, workFactor: Self.fastWorkFactor)
        try directory.write(file, to: "file.age")

        let decrypted = try tool.ageOnTerminal(
            ["-d", "-o", directory.path("file.out"), directory.path("file.age")], typing: [passphrase])
        try #require(decrypted.succeeded, "\(decrypted)")
        expectIdentical(try directory.bytes("file.out"), payload, "age's decryption of our passphrase file")

        let refused = try tool.ageOnTerminal(
            ["-d", "-o", directory.path("wrong.out"), directory.path("file.age")], typing: [passphrase + "x"])
        #expect(!refused.succeeded && !refused.timedOut, "age accepted a wrong passphrase: \(refused)")
        #expect(!directory.contains("wrong.out"))
    }

    // MARK: - Helpers

    private func randomBytes(_ count: Int) throws -> [UInt8] {
        try SecureRandom.bytes(count: count)
    }

    /// Printable, with a space, and different every run; typed into age's terminal, never passed
    /// as an argument.
    private func randomPassphrase() throws -> String {
        let hex = try SecureRandom.bytes(count: 12).map { String(format: "%02x", $0) }.joined()
        return "interop test \(hex)"
    }

    /// The `age1…` recipient `age-keygen -y` derives from the identity file at `path`.
    private func publicKey(of path: String, tool: AgeTool) throws -> String {
        let result = try tool.ageKeygen(["-y", path])
        try #require(result.succeeded, "\(result)")
        let key = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(key.hasPrefix("age1"), "age-keygen -y printed \(key)")
        return key
    }

    private func encryptStreaming(from input: String, to output: String, recipients: [any AgeRecipient]) throws {
        let source = try FileDescriptor.openForReading(input)
        defer { try? source.close() }
        var sink = try FileDescriptor.create(output)
        defer { try? sink.close() }
        try AgeFile.encrypt(from: source, to: &sink, recipients: recipients)
    }

    private func decryptStreaming(from input: String, to output: String, identities: [any AgeIdentity]) throws {
        let source = try FileDescriptor.openForReading(input)
        defer { try? source.close() }
        var sink = try FileDescriptor.create(output)
        defer { try? sink.close() }
        try AgeFile.decrypt(from: source, to: &sink, identities: identities)
    }

    /// Checks that `file` is an age file whose only stanza is scrypt with `workFactor`.
    private func expectScryptHeader(
        _ file: [UInt8], workFactor: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let lines = file.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
            .prefix(3).map { String(decoding: $0, as: UTF8.self) }
        try #require(lines.count == 3, "not an age file", sourceLocation: sourceLocation)
        #expect(lines[0] == "age-encryption.org/v1", sourceLocation: sourceLocation)
        let stanza = lines[1].split(separator: " ").map(String.init)
        #expect(stanza.count == 4 && stanza[0] == "->" && stanza[1] == "scrypt", "stanza: \(lines[1])", sourceLocation: sourceLocation)
        #expect(stanza.last == String(workFactor), "stanza: \(lines[1])", sourceLocation: sourceLocation)
        #expect(lines[2].count == 43, "the wrapped file key is 32 bytes", sourceLocation: sourceLocation)
    }

    /// Compares byte arrays without printing them (payloads run to megabytes).
    private func expectIdentical(
        _ actual: [UInt8], _ expected: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard actual != expected else { return }
        let common = min(actual.count, expected.count)
        let firstDifference = (0..<common).first { actual[$0] != expected[$0] } ?? common
        Issue.record(
            "\(what): got \(actual.count) bytes, expected \(expected.count); first difference at offset \(firstDifference)",
            sourceLocation: sourceLocation)
    }
}

import Age
import CryptoPrimitives
import Foundation
import ProcessHarness
import Testing

/// ASCII armor (the age specification's strict PEM): both directions against the stock `age -a` /
/// `age -d`, and every way an armored file may not be written.
@Suite struct ArmorTests {
    /// Empty, under one line, exactly one line of base64 (48 bytes), and several lines ending
    /// mid-line: the payload sizes give armored files whose last lines have every length mod 4.
    static let payloadSizes = [0, 1, 2, 3, 100, 1000, 70_000]

    @Test("age -d reads what is armored here, and this package reads what age -a armors", arguments: payloadSizes)
    func interoperatesWithStockAge(size: Int) throws {
        let tool = try AgeTool.locate()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let identityPath = directory.path("identity.txt")
        try IdentityFile.write(identity, to: identityPath, created: nil)
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

        let armored = Armor.armor(try AgeFile.encrypt(payload, to: [identity.recipient]))
        try directory.write(armored, to: "here.age")
        let decrypted = try tool.age(["-d", "-i", identityPath, directory.path("here.age")])
        try #require(decrypted.succeeded, "age could not decrypt the armor written here: \(decrypted)")
        #expect([UInt8](decrypted.standardOutput) == payload)

        let plaintextPath = try directory.write(payload, to: "plaintext")
        let encrypted = try tool.age(["-a", "-r", identity.recipient.description, "-o", directory.path("theirs.age"), plaintextPath])
        try #require(encrypted.succeeded, "\(encrypted)")
        let theirs = try directory.bytes("theirs.age")
        #expect(Armor.isArmored(theirs))
        // Byte for byte the layout written here: re-armoring the binary inside gives the same text.
        #expect(Armor.armor(try Armor.binary(theirs)) == theirs, "the armor written here differs from age -a's")
        let plaintext = try AgeFile.decrypt(theirs, identities: [identity])
        #expect(plaintext.withUnsafeBytes { Array($0) } == payload)
    }

    @Test("a passphrase-protected identity file armored by age -a -p unlocks")
    func armoredPassphraseIdentity() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let identity = try X25519Identity.generate()
        let plain = directory.path("plain.txt")
        try IdentityFile.write(identity, to: plain, created: nil)
        let passphrase = SecureBytes(copying: Array("armored passphrase".utf8))
        let encrypted = try AgeFile.encrypt(try directory.bytes("plain.txt"), to: [try ScryptRecipient(passphrase: passphrase, workFactor: 10)])
        let parsed = try IdentityFile.parse(SecureBytes(copying: Armor.armor(encrypted))) { passphrase }
        #expect(parsed.map(\.recipient.description) == [identity.recipient.description])
    }

    /// One armored file, and the texts that break one rule each.
    static let valid: [UInt8] = Armor.armor((0..<200).map { UInt8($0) })
    static var validText: String { String(decoding: valid, as: UTF8.self) }
    static var validLines: [String] { validText.split(separator: "\n").map(String.init) }

    static let malformed: [(String, String)] = {
        let lines = validLines
        let body = Array(lines[1..<(lines.count - 1)])
        func text(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }
        var lastLine = body[body.count - 1]
        // The last base64 character before the padding with an unused bit set: not canonical.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let padding = lastLine.reversed().prefix { $0 == "=" }.count
        let lastIndex = lastLine.index(lastLine.endIndex, offsetBy: -padding - 1)
        let value = alphabet.firstIndex(of: lastLine[lastIndex])!
        lastLine.replaceSubrange(lastIndex...lastIndex, with: String(alphabet[value | 1]))
        return [
            ("garbage before", "x" + text(lines)),
            ("garbage after", text(lines) + "trailing"),
            ("a lower-case label", text(lines).replacingOccurrences(of: "BEGIN AGE ENCRYPTED FILE", with: "BEGIN age encrypted file")),
            ("another label", text(lines).replacingOccurrences(of: "AGE ENCRYPTED FILE", with: "AGE FILE")),
            ("no END line", text(Array(lines.dropLast()))),
            ("a short middle line", text([lines[0], String(body[0].dropLast(4)), body[0].suffix(4) + body[1]] + body.dropFirst(2) + [lines.last!])),
            ("a long line", text([lines[0], body[0] + String(body[1].prefix(4)), String(body[1].dropFirst(4))] + body.dropFirst(2) + [lines.last!])),
            ("padding removed", text(Array(lines[0..<(lines.count - 2)]) + [lastLine.replacingOccurrences(of: "=", with: ""), lines.last!])),
            ("non-canonical bits", text(Array(lines[0..<(lines.count - 2)]) + [lastLine, lines.last!])),
            ("a space inside", text(lines).replacingOccurrences(of: body[0], with: String(body[0].prefix(10)) + " " + String(body[0].dropFirst(11)))),
            ("mixed line endings", text(lines).replacingOccurrences(of: lines[0] + "\n", with: lines[0] + "\r\n")),
            ("an empty body", text([lines[0], lines.last!])),
            ("a blank line inside", text([lines[0], body[0], ""] + body.dropFirst() + [lines.last!])),
        ]
    }()

    @Test("the strict encoding only", arguments: malformed.map(\.0))
    func refusesWhatIsNotStrict(_ name: String) throws {
        let text = try #require(Self.malformed.first { $0.0 == name }?.1)
        #expect(throws: AgeError.self) { try Array(text.utf8).withUnsafeBytes { try Armor.dearmor($0) } }
    }

    @Test("whitespace around the block and CRLF throughout are accepted")
    func acceptsWhitespaceAndCRLF() throws {
        let binary = try Armor.binary(Self.valid)
        let spaced = Array(("\n  \t" + Self.validText + " \n\n").utf8)
        #expect(try Armor.binary(spaced) == binary)
        let crlf = Array(Self.validText.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        #expect(try Armor.binary(crlf) == binary)
        #expect((0..<200).map { UInt8($0) } == binary)
    }
}

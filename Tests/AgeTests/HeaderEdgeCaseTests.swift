import Age
import CryptoPrimitives
import Testing

/// Header cases beyond the test kit: version lines, identity order, and hostile work factors.
@Suite("header edge cases")
struct HeaderEdgeCaseTests {
    @Test("a later version is unsupported; a damaged version line is malformed", arguments: [
        ("age-encryption.org/v2\n", AgeError.unsupportedVersion),
        ("age-encryption.org/v10\n", AgeError.unsupportedVersion),
        ("age-encryption.org/v1\r\n", AgeError.malformedHeader(reason: "not an age file (missing age-encryption.org/v1 line)")),
        ("age-encryption.org/v1 \n", AgeError.malformedHeader(reason: "not an age file (missing age-encryption.org/v1 line)")),
    ])
    func versionLines(_ line: String, _ expected: AgeError) {
        #expect(throws: expected) { try AgeFile.decrypt(Array((line + "-> X25519 x\n\n--- x\n").utf8), identities: []) }
    }

    @Test("a malformed stanza of an identity's own type is reported, even after another identity's stanza")
    func malformedStanzaIsNotSkipped() throws {
        let first = try X25519Identity.generate()
        let second = try X25519Identity.generate()
        let file = try AgeFile.encrypt([1, 2, 3], to: [second.recipient])
        // Insert a second X25519 stanza whose share is not 32 bytes right after the real one.
        let text = Array(file)
        let macLine = try #require(Self.range(of: Array("\n--- ".utf8), in: text))
        let altered = Array(text[..<(macLine + 1)]) + Array("-> X25519 AAAA\n\n".utf8) + Array(text[(macLine + 1)...])
        #expect(throws: AgeError.malformedHeader(reason: "the X25519 share is not 32 bytes of canonical base64")) {
            try AgeFile.decrypt(altered, identities: [first, second])
        }
    }

    @Test("hostile scrypt work factors are refused before any work", arguments: ["23", "30", "60", "100", "99999999999999999999"])
    func hostileWorkFactors(_ workFactor: String) throws {
        let header = "age-encryption.org/v1\n-> scrypt rF0/NwblUHHTpgQgRpe5CQ \(workFactor)\nqW9eVsT0NVb/Vswtw8kPIxUnaYmm9Px1dYmq2+4+qZA\n--- 38TpQMxQRRNMfmYYpBX6DDrPx4/QY5UmJnhPyVoX/cw\n"
        let identity = ScryptIdentity(passphrase: SecureBytes(copying: Array("password".utf8)))
        do {
            _ = try AgeFile.decrypt(Array(header.utf8) + [UInt8](repeating: 0, count: 48), identities: [identity])
            Issue.record("work factor \(workFactor) was accepted")
        } catch let error as AgeError {
            switch error {
            case .workFactorTooHigh(let logN, let limit):
                #expect(String(logN) == workFactor && limit == ScryptIdentity.defaultMaximumWorkFactor)
            case .malformedHeader:
                #expect(workFactor.count > 18, "only an unrepresentable work factor is malformed, got \(error)")
            default:
                Issue.record("unexpected \(error)")
            }
        }
    }

    static func range(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}

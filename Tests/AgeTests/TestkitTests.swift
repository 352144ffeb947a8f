import Age
import CryptoPrimitives
import Testing

/// Runs every vector of the age conformance kit (see `TestkitVector.directory`).
@Suite("age test kit")
struct TestkitTests {
    @Test("the kit directory holds vectors")
    func kitIsPresent() {
        // Without this, a missing directory would make the parameterized test below run zero cases.
        #expect(TestkitVector.allNames().count > 0, "no vectors in \(TestkitVector.directory.path); set AGE_TESTKIT_DIR")
    }

    @Test("vector", arguments: TestkitVector.allNames())
    func vector(_ name: String) throws {
        let vector = try TestkitVector.load(name)
        switch vector.expectation {
        case .success:
            let plaintext = try decrypt(vector)
            let digest = try plaintext.withUnsafeBytes { try SHA256.hash($0) }
            #expect(hex(digest) == vector.payloadSHA256)
        case .armorFailure:
            #expect(throws: AgeError.self) { try decrypt(vector) }
            #expect(vector.isArmored, "\(name): an armor failure in a file that is not armored")
        default:
            do {
                _ = try decrypt(vector)
                Issue.record("\(name) decrypted, but the kit expects \(vector.expectation.rawValue)")
            } catch let error as AgeError {
                #expect(Self.failureClass(of: error) == vector.expectation, "\(name): \(error)")
            }
        }
    }

    private func decrypt(_ vector: TestkitVector) throws -> SecureBytes {
        var identities: [any AgeIdentity] = try vector.identities.map { try X25519Identity($0) }
        identities += vector.passphrases.map { ScryptIdentity(passphrase: SecureBytes(copying: Array($0.utf8))) }
        return try AgeFile.decrypt(vector.file, identities: identities)
    }

    /// The kit's failure class for each error this implementation reports.
    static func failureClass(of error: AgeError) -> TestkitVector.Expectation? {
        switch error {
        case .malformedArmor: return .armorFailure
        case .unsupportedVersion, .malformedHeader, .workFactorTooHigh: return .headerFailure
        case .headerMACMismatch: return .hmacFailure
        case .noMatchingIdentity, .incorrectPassphrase: return .noMatch
        case .damagedPayload: return .payloadFailure
        case .invalidRecipient, .invalidIdentity, .invalidRecipientSet, .io, .crypto: return nil
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}

import Foundation
import Testing

@testable import ClientSecrets

/// `VaultError` is a struct with a code: what callers match on, and the values its message names.
@Suite struct VaultErrorTests {
    @Test func theCodeTheMessageAndTheNamedValuesSurviveTheStruct() {
        let invalid = VaultError.invalidValue(field: "expires", reason: "not a date")
        #expect(invalid.code == .invalidValue)
        #expect(invalid.field == "expires")
        #expect(invalid.description == "invalid expires: not a date")
        #expect(invalid.reason == invalid.description)
        #expect(invalid == .invalidValue(field: "expires", reason: "not a date"))
        #expect(invalid != .invalidValue(field: "expires", reason: "another reason"))

        let missing = VaultError.vaultNotFound(path: "/tmp/v.sqlite")
        #expect(missing.code == .vaultNotFound && missing.path == "/tmp/v.sqlite" && missing.field == nil)

        let action = AppAction(app: "a", kind: .rotator, field: "rotator", value: "r")
        let untrusted = VaultError.importNotTrusted(otherVaultID: "ab", actions: [action])
        #expect(untrusted.code == .importNotTrusted && untrusted.actions == [action] && untrusted.otherVaultID == "ab")
        #expect(VaultError.importConflicts(["x"]).conflicts == ["x"])
    }

    @Test func everyCodeHasItsOwnName() {
        let codes: [VaultError.Code] = [
            .vaultNotFound, .vaultExists, .notAVault, .identityNotFound, .identityTooOpen, .identityNotPrivate, .cannotUnlock,
            .notAuthorized, .tampered, .integrityMismatch, .untrusted, .invalidValue, .appNotFound, .appExists, .credentialNotFound,
            .noSecretValue, .credentialExists, .importConflicts, .invalidDocument, .importNotTrusted, .recipientProblem,
            .recipientNotFound, .storage, .busy, .lockNotPrivate,
        ]
        #expect(Set(codes.map(\.description)).count == codes.count)
        #expect(VaultError.Code.appNotFound.description == "app-not-found")
    }
}

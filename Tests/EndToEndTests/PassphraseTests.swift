import Foundation
import Testing

/// A person's identity file is an age file encrypted to a passphrase; everything that opens the
/// vault asks for it (here through SECRETS_PASSPHRASE_FILE or --passphrase-stdin).
@Suite("Passphrase-protected identity")
struct PassphraseTests {
    static let passphrase = "correct horse battery staple"

    /// A vault whose identity is protected by `passphrase`, with one app and one secret.
    private func makeVault(_ name: String, secret: String) throws -> (Sandbox, passphraseFile: String) {
        let sandbox = try Sandbox(name)
        let passphraseFile = try sandbox.directory.write(Self.passphrase + "\n", to: "passphrase.txt", mode: 0o600)
        let unlock: [String: String?] = ["SECRETS_PASSPHRASE_FILE": passphraseFile]
        let created = try sandbox.succeed(["init"], environment: unlock)
        #expect(created.output.contains("passphrase-protected"))
        try sandbox.succeed(
            ["app", "add", "jamf-intune", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com"], environment: unlock)
        try sandbox.succeed(["secret", "add", "jamf-intune", "--expires", "90d"], stdin: secret, environment: unlock)
        return (sandbox, passphraseFile)
    }

    @Test("init writes an age-encrypted identity 0600; the passphrase file, stdin, and a wrong passphrase")
    func unlocking() throws {
        let secret = Sandbox.secretValue()
        let (sandbox, passphraseFile) = try makeVault("passphrase-unlock", secret: secret)
        defer { sandbox.remove() }

        let head = try sandbox.directory.read("identity.txt").prefix(21)
        #expect(String(decoding: head, as: UTF8.self) == "age-encryption.org/v1")
        #expect(try sandbox.directory.mode(of: "identity.txt") == 0o600)
        #expect(try sandbox.directory.read("identity.txt").range(of: Data("AGE-SECRET-KEY-".utf8)) == nil)

        let unlock: [String: String?] = ["SECRETS_PASSPHRASE_FILE": passphraseFile]
        let list = try sandbox.succeed(["list"], environment: unlock)
        #expect(list.output.contains("jamf-intune"))
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"], environment: unlock).standardOutput == Data(secret.utf8))

        let wrongFile = try sandbox.directory.write("not the passphrase\n", to: "wrong.txt", mode: 0o600)
        try sandbox.fail(["list"], status: 77, mentioning: "cannot unlock", environment: ["SECRETS_PASSPHRASE_FILE": wrongFile])
        try sandbox.fail(["secret", "get", "jamf-intune"], status: 77, mentioning: "cannot unlock",
                         environment: ["SECRETS_PASSPHRASE_FILE": wrongFile])

        let fromStdin = try sandbox.succeed(["list", "--passphrase-stdin"], stdin: Self.passphrase + "\n")
        #expect(fromStdin.output.contains("jamf-intune"))
        try sandbox.fail(["list", "--passphrase-stdin"], status: 77, mentioning: "cannot unlock", stdin: "not the passphrase\n")

        sandbox.expectNoLeak(of: secret)
        sandbox.expectNoLeak(of: Self.passphrase)
    }

    @Test("passphrase changes the identity file's passphrase and leaves the vault alone")
    func changingThePassphrase() throws {
        let secret = Sandbox.secretValue()
        let (sandbox, oldFile) = try makeVault("passphrase-change", secret: secret)
        defer { sandbox.remove() }
        let newPassphrase = "a new and longer passphrase"
        let newFile = try sandbox.directory.write(newPassphrase + "\n", to: "new-passphrase.txt", mode: 0o600)
        let vaultBefore = try sandbox.storedBytes().map(\.bytes)

        let changed = try sandbox.succeed(
            ["passphrase"], environment: ["SECRETS_PASSPHRASE_FILE": oldFile, "SECRETS_NEW_PASSPHRASE_FILE": newFile])
        #expect(changed.output.contains("Changed the passphrase"))
        #expect(try sandbox.directory.mode(of: "identity.txt") == 0o600)
        #expect(try sandbox.storedBytes().map(\.bytes) == vaultBefore, "the vault changed")

        try sandbox.fail(["list"], status: 77, mentioning: "cannot unlock", environment: ["SECRETS_PASSPHRASE_FILE": oldFile])
        try sandbox.succeed(["list"], environment: ["SECRETS_PASSPHRASE_FILE": newFile])
        let value = try sandbox.succeed(["secret", "get", "jamf-intune"], environment: ["SECRETS_PASSPHRASE_FILE": newFile])
        #expect(value.standardOutput == Data(secret.utf8))
        try sandbox.succeed(["verify"], environment: ["SECRETS_PASSPHRASE_FILE": newFile])

        sandbox.expectNoLeak(of: secret)
        sandbox.expectNoLeak(of: newPassphrase)
    }

    @Test("an identity file that others can read is refused before any passphrase is asked")
    func identityReadableByOthers() throws {
        let (sandbox, passphraseFile) = try makeVault("passphrase-mode", secret: Sandbox.secretValue())
        defer { sandbox.remove() }
        try sandbox.directory.chmod("identity.txt", 0o644)
        let refused = try sandbox.fail(
            ["list"], status: 77, mentioning: "chmod 600", environment: ["SECRETS_PASSPHRASE_FILE": passphraseFile])
        #expect(refused.errorOutput.contains(sandbox.identity))
        try sandbox.fail(["expiring"], status: 3, mentioning: "chmod 600", environment: ["SECRETS_PASSPHRASE_FILE": passphraseFile])
        try sandbox.directory.chmod("identity.txt", 0o600)
        try sandbox.succeed(["list"], environment: ["SECRETS_PASSPHRASE_FILE": passphraseFile])
    }
}

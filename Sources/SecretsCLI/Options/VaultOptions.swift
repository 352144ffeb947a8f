import Age
import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation

/// Where the vault and the identity are, and how a passphrase is given: shared by every command
/// that opens a vault.
struct VaultOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The vault file.", discussion: "Default: $SECRETS_VAULT, else $XDG_DATA_HOME/secrets/vault.sqlite.", valueName: "path"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp(
        "The identity file that unlocks the vault.",
        discussion: "Default: $SECRETS_IDENTITY, else $XDG_CONFIG_HOME/secrets/identity.txt.", valueName: "path"))
    var identity: String?

    @Flag(name: .long, help: "Read the identity file's passphrase from the first line of stdin.")
    var passphraseStdin = false

    var vaultPath: String { vault ?? VaultLocation.defaultVaultPath() }
    var identityPath: String { identity ?? VaultLocation.defaultIdentityPath() }

    /// Loads the identity, asking for its passphrase if it has one.
    func loadIdentities() throws -> [X25519Identity] {
        try VaultIdentity.load(path: identityPath) { try Passphrase.read(purpose: "identity file \(identityPath)", fromStandardInput: passphraseStdin) }
    }

    /// Opens the vault; checks the vault exists before asking for a passphrase.
    func open() throws -> Vault {
        guard FileManager.default.fileExists(atPath: vaultPath) else { throw VaultError.vaultNotFound(path: vaultPath) }
        return try Vault.open(at: vaultPath, identities: loadIdentities())
    }
}

/// Where passphrases come from: `SECRETS_PASSPHRASE_FILE`, stdin when asked, else the terminal.
enum Passphrase {
    static func read(purpose: String, fromStandardInput: Bool) throws -> SecureBytes {
        let value: SecureBytes
        if let file = ProcessInfo.processInfo.environment["SECRETS_PASSPHRASE_FILE"], !file.isEmpty {
            value = try Terminal.readValue(path: file)
        } else if fromStandardInput {
            value = try Terminal.readLine(from: 0)
        } else if let typed = try Terminal.readHidden(prompt: "Passphrase for \(purpose): ") {
            value = typed
        } else {
            throw CLIError.cannotUnlock(
                "cannot unlock the vault: \(purpose) is passphrase-protected and there is no terminal to ask on; set SECRETS_PASSPHRASE_FILE or pass --passphrase-stdin")
        }
        guard value.count > 0 else { throw CLIError.cannotUnlock("cannot unlock the vault: the passphrase is empty") }
        return value
    }

    /// A new passphrase: from `environmentVariable`'s file, stdin when asked, or typed twice.
    static func readNew(purpose: String, environmentVariable: String, fromStandardInput: Bool) throws -> SecureBytes {
        let value: SecureBytes
        if let file = ProcessInfo.processInfo.environment[environmentVariable], !file.isEmpty {
            value = try Terminal.readValue(path: file)
        } else if fromStandardInput {
            value = try Terminal.readLine(from: 0)
        } else {
            guard let first = try Terminal.readHidden(prompt: "New passphrase for \(purpose): "),
                  let second = try Terminal.readHidden(prompt: "Repeat it: ")
            else {
                throw CLIError.usage("no terminal to ask for a new passphrase on; set \(environmentVariable) to a file holding it, or pass --passphrase-stdin")
            }
            guard first.constantTimeEquals(second) else { throw CLIError.usage("the two passphrases differ; nothing was changed") }
            value = first
        }
        guard value.count >= 8 else { throw CLIError.usage("the passphrase must be at least 8 characters long") }
        return value
    }
}

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

    /// Opens the vault, reads what `body` reads, then checks the integrity digest before the
    /// command prints anything: each row read authenticates itself (and a damaged one is named),
    /// but only the digest shows that a row was deleted (an app or credential left out of the
    /// answer) or a clear column changed behind the tool's back. For commands that print a view
    /// of the vault; `expiring` leaves the digest to `--verify`.
    ///
    /// With `wholeView` false (`secret get`: one value, authenticated with its row and app) the
    /// digest is checked only when the answer would be "not found", so the undamaged secrets of
    /// a damaged vault can still be salvaged one by one.
    func reading<T>(wholeView: Bool = true, _ body: (Vault) throws -> T) throws -> T {
        let vault = try open()
        let result: T
        do {
            result = try body(vault)
        } catch let error as VaultError {
            // A lookup hash, state or owner changed behind the tool's back reads as "no such
            // app/credential": the digest tells damage from absence.
            switch error {
            case .appNotFound, .credentialNotFound, .noSecretValue: try vault.checkIntegrity()
            default: break
            }
            throw error
        }
        if wholeView { try vault.checkIntegrity() }
        return result
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

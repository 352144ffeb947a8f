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

    /// Where this identity keeps the fingerprints of the vaults it opened:
    /// `$SECRETS_KNOWN_VAULTS`, else `known_vaults` beside the identity file.
    var knownVaults: KnownVaults {
        if let path = ProcessInfo.processInfo.environment["SECRETS_KNOWN_VAULTS"], !path.isEmpty { return KnownVaults(path: path) }
        return .beside(identityPath: identityPath)
    }

    /// Pins checked and kept in ``knownVaults``; on first use, the fingerprint in
    /// `$SECRETS_VAULT_FINGERPRINT` (as `recipients add` printed it) must match.
    var trust: VaultTrust {
        let expected = ProcessInfo.processInfo.environment["SECRETS_VAULT_FINGERPRINT"].flatMap { $0.isEmpty ? nil : $0 }
        return VaultTrust(knownVaults: knownVaults, expectedFingerprint: expected)
    }

    /// Opens the vault; checks the vault exists before asking for a passphrase. What opening
    /// decided about trust (a first-use pin, a followed rekey, an upgrade) is told on stderr.
    func open(trust: VaultTrust? = nil) throws -> Vault {
        guard try Vault.exists(at: vaultPath) else { throw VaultError.vaultNotFound(path: vaultPath) }
        let vault = try Vault.open(at: vaultPath, identities: loadIdentities(), trust: trust ?? self.trust)
        if let notice = vault.trustNotice { Terminal.printError("secrets: " + notice) }
        return vault
    }

    /// Opens the vault, reads what `body` reads, then checks the whole vault (every row's
    /// authentication and the signed digest) before the command prints anything: a row deleted,
    /// forged or put back from an older copy must not change the answer. For commands that
    /// print a view of the vault or hand out a value; `expiring` leaves the check to `--verify`.
    func reading<T>(_ body: (Vault) throws -> T) throws -> T {
        let vault = try open()
        let result: T
        do {
            result = try body(vault)
        } catch let error as VaultError {
            // A lookup hash, state or owner changed behind the tool's back reads as "no such
            // app/credential": the check tells damage from absence.
            switch error.code {
            case .appNotFound, .credentialNotFound, .noSecretValue: try vault.checkIntegrity()
            default: break
            }
            throw error
        }
        try vault.checkIntegrity()
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

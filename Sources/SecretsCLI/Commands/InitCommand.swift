import Age
import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets init`: a new vault and, unless one exists, a new admin identity.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault and an admin identity.",
        discussion: """
            The identity file is passphrase-protected unless --no-passphrase is given (for a machine \
            identity; it is written with mode 0600). An existing identity file is reused as the admin. \
            init never overwrites a vault.
            """)

    @OptionGroup var options: VaultOptions

    @Flag(name: .long, help: "Write the identity without a passphrase (for machines; keep it 0600).")
    var noPassphrase = false

    @Option(name: .long, help: "A name for the admin recipient in the keyring.")
    var name: String?

    func run() throws {
        try reportingErrors {
            let vaultPath = options.vaultPath
            let identityPath = options.identityPath
            if try Vault.exists(at: vaultPath) { throw VaultError.vaultExists(path: vaultPath) }
            let identity: X25519Identity
            let created: Bool
            if FileManager.default.fileExists(atPath: identityPath) {
                guard let first = try options.loadIdentities().first else { throw VaultError.cannotUnlock(reason: "no identity") }
                identity = first
                created = false
            } else {
                identity = try X25519Identity.generate()
                let passphrase = noPassphrase ? nil : try Passphrase.readNew(
                    purpose: "the identity file", environmentVariable: "SECRETS_PASSPHRASE_FILE", fromStandardInput: options.passphraseStdin)
                try VaultIdentity.create(identity, at: identityPath, passphrase: passphrase)
                created = true
            }
            let fingerprint: String
            do {
                let vault = try Vault.create(at: vaultPath, admin: identity.recipient, name: name)
                fingerprint = try vault.fingerprint()
                try options.knownVaults.pin(vaultID: vault.vaultID, fingerprint: fingerprint, vaultPath: vault.path)
            } catch {
                if created { unlink(identityPath) }
                throw error
            }
            Printer.line("Created vault \(vaultPath)")
            let protection = noPassphrase ? "no passphrase, mode 0600" : "passphrase-protected"
            Printer.line(created ? "Created admin identity \(identityPath) (\(protection))" : "Using existing identity \(identityPath) as admin")
            Printer.line("Admin recipient: \(identity.recipient)")
            Printer.line("Vault fingerprint: \(fingerprint) (pinned in \(options.knownVaults.path))")
        }
    }
}

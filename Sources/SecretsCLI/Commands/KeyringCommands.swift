import Age
import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets recipients …`: who can open the vault.
struct RecipientsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipients", abstract: "Add, remove and list the identities that can open the vault.",
        subcommands: [RecipientsAddCommand.self, RecipientsRemoveCommand.self, RecipientsListCommand.self])
}

extension Role: ExpressibleByArgument {}

struct RecipientsAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a recipient (an age1… public key, for example from age-keygen).",
        discussion: "An admin can read and change everything; a reader can list apps and check expiry but never read a secret value.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The recipient's public key, age1….") var recipient: String
    @Option(name: .long, help: "admin or reader.") var role: Role
    @Option(name: .long, help: "A name for the recipient, such as the monitoring host.") var name: String?

    func run() throws {
        try reportingErrors {
            let parsed: X25519Recipient
            do { parsed = try X25519Recipient(recipient) } catch {
                throw CLIError.usage("\"\(recipient.prefix(80))\" is not an age X25519 recipient (age1…)")
            }
            let vault = try options.open()
            try vault.addRecipient(parsed, role: role, name: name)
            let fingerprint = try vault.fingerprint()
            Printer.line("Added \(role.rawValue) \(parsed)")
            Printer.line("Vault fingerprint: \(fingerprint)")
            Printer.line("Give it to the new recipient over a channel you trust; before its first command it sets")
            Printer.line("SECRETS_VAULT_FINGERPRINT=\(fingerprint), so a substituted file or keyring entry is refused")
        }
    }
}

struct RecipientsRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a recipient.",
        discussion: """
            The removed identity may have kept a copy of the data keys it could unwrap: until the \
            vault is rekeyed, that copy still decrypts the vault (a copy of the file, or the file \
            itself). Pass --rekey to replace the data keys in the same transaction, or run \
            `secrets rekey` afterwards.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The recipient's public key, age1….") var recipient: String
    @Flag(name: .long, help: "Also replace the data keys (as `secrets rekey` does), in the same transaction as the removal.")
    var rekey = false

    func run() throws {
        try reportingErrors {
            // Not while a rotation works on the vault: see VaultLock.
            let lock = try VaultLock(vaultPath: options.vaultPath, holder: "recipients remove", wait: VaultLock.commandWait)
            defer { _ = lock }
            let vault = try options.open()
            guard rekey else {
                try vault.removeRecipient(recipient)
                Printer.line("Removed \(recipient); run `secrets rekey` so any copy of the data keys it kept stops working")
                return
            }
            let role = try vault.recipients().first { $0.recipient == recipient }?.role
            let rekeyed = try vault.rekey(removingRecipient: recipient)
            try options.knownVaults.pin(vaultID: rekeyed.vaultID, fingerprint: try rekeyed.fingerprint(), vaultPath: rekeyed.path)
            Printer.line("Removed \(recipient) and replaced the data keys of \(rekeyed.path):")
            Printer.line("every record was re-encrypted and every remaining recipient rewrapped, so data keys it kept no longer open this vault")
            Printer.line("(copies of the file made before now still open with them)")
            Printer.line("New vault fingerprint: \(try rekeyed.fingerprint()); other recipients follow it on their next open")
            if role == .admin {
                Printer.line("It was an admin and could read every secret value: rotate them (`secrets rotate --all`)")
            }
        }
    }
}

struct RecipientsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the recipients and their roles.")

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption

    struct Item: Encodable {
        let recipient: String
        let role: String
        let name: String?
        let added: Date
    }

    func run() throws {
        try reportingErrors {
            let items = try options.reading { try $0.recipients() }.map { Item(recipient: $0.recipient, role: $0.role.rawValue, name: $0.name, added: $0.added) }
            if output.json { return try Printer.json(items) }
            Printer.table(["RECIPIENT", "ROLE", "ADDED", "NAME"], items.map { [$0.recipient, $0.role, Printer.day($0.added), $0.name ?? ""] })
        }
    }
}

/// `secrets rekey`: new data keys.
struct RekeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey", abstract: "Replace the vault's data keys and re-encrypt every record (admin only).")

    @OptionGroup var options: VaultOptions

    func run() throws {
        try reportingErrors {
            // Not while a rotation works on the vault: see VaultLock.
            let lock = try VaultLock(vaultPath: options.vaultPath, holder: "rekey", wait: VaultLock.commandWait)
            defer { _ = lock }
            let vault = try options.open().rekey()
            let fingerprint = try vault.fingerprint()
            try options.knownVaults.pin(vaultID: vault.vaultID, fingerprint: fingerprint, vaultPath: vault.path)
            Printer.line("Replaced the data keys of \(vault.path); every record was re-encrypted and every recipient rewrapped")
            Printer.line("New vault fingerprint: \(fingerprint), endorsed by the old one: other recipients follow it on their next open")
        }
    }
}

/// `secrets passphrase`: change the identity file's passphrase; the vault is untouched.
struct PassphraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passphrase", abstract: "Change the identity file's passphrase (the vault is not touched).",
        discussion: "The new passphrase is typed twice, or read from the file in SECRETS_NEW_PASSPHRASE_FILE.")

    @OptionGroup var options: VaultOptions
    @Flag(name: .long, help: "Remove the passphrase (for a machine identity).") var noPassphrase = false

    func run() throws {
        try reportingErrors {
            let path = options.identityPath
            let identities = try options.loadIdentities()
            let passphrase = noPassphrase ? nil : try Passphrase.readNew(
                purpose: "identity file \(path)", environmentVariable: "SECRETS_NEW_PASSPHRASE_FILE", fromStandardInput: false)
            try VaultIdentity.changePassphrase(path: path, identities: identities, to: passphrase)
            Printer.line(noPassphrase ? "Removed the passphrase of \(path)" : "Changed the passphrase of \(path)")
        }
    }
}

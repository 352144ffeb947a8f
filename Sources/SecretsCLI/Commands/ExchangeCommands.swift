#if canImport(Glibc)
import Glibc
#endif
import Age
import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation

/// `secrets export`: the whole vault as an age file the stock `age -d` decrypts.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the whole vault, values included, as an age-encrypted JSON document (admin only).",
        discussion: """
            Encrypt to one or more --recipient keys, or to a passphrase with --passphrase (typed twice, \
            or read from the file in SECRETS_EXPORT_PASSPHRASE_FILE). `age -d` recovers the JSON, whose \
            shape the README documents. --armor writes the age file as ASCII armor (as `age -a`), for a \
            ticket or a mail; `import` and `age -d` read either form.
            """)

    @OptionGroup var options: VaultOptions
    @Option(name: .long, help: ArgumentHelp("Encrypt to this age1… recipient. Repeatable.", valueName: "age1…"))
    var recipient: [String] = []
    @Flag(name: .long, help: "Encrypt to a passphrase instead.") var passphrase = false
    @Option(name: [.short, .long], help: ArgumentHelp("Write to this new file (mode 0600) instead of stdout.", valueName: "path"))
    var output: String?
    @Flag(name: .long, help: "Write ASCII armor (-----BEGIN AGE ENCRYPTED FILE-----), as `age -a` does.") var armor = false

    func validate() throws {
        guard recipient.isEmpty != !passphrase else { throw ValidationError("give either --recipient (one or more) or --passphrase") }
    }

    func run() throws {
        try reportingErrors {
            if output == nil, Terminal.standardOutputIsTerminal, !armor {
                throw CLIError.usage("refusing to write an encrypted file to a terminal; pass --output FILE, redirect stdout, or --armor")
            }
            let named = try recipient.map { text -> any AgeRecipient in
                do { return try X25519Recipient(text) } catch {
                    throw CLIError.usage("\"\(text.prefix(80))\" is not an age X25519 recipient (age1…)")
                }
            }
            // The vault before the export passphrase: a reader is refused before typing one.
            let document = try options.reading { try $0.exportDocument() }
            let recipients: [any AgeRecipient]
            if passphrase {
                let secret = try Passphrase.readNew(
                    purpose: "the export", environmentVariable: "SECRETS_EXPORT_PASSPHRASE_FILE", fromStandardInput: false)
                recipients = [try ScryptRecipient(passphrase: secret)]
            } else {
                recipients = named
            }
            var json = [UInt8](try document.encoded())
            defer { Cleanse.wipe(&json) }
            let binary = try AgeFile.encrypt(json, to: recipients)
            let file = armor ? Armor.armor(binary) : binary
            if let output {
                let descriptor = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    throw CLIError(description: "cannot create \(output): \(String(cString: strerror(errno)))", code: ExitStatus.cannotCreate)
                }
                let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                try handle.write(contentsOf: file)
                try handle.synchronize()
                Terminal.printError("Exported \(document.apps.count) apps to \(output)")
            } else {
                StandardStreams.out(Data(file))
            }
        }
    }
}

/// `secrets import`: read an export back, or register apps from Azure's JSON.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Merge an export into the vault, or register apps from Azure JSON.",
        discussion: """
            An export is merged by app ID and key ID; records that differ from the vault's are \
            conflicts, and then nothing is imported unless --skip-conflicts is given. The export is \
            decrypted with --decrypt-identity, else with a passphrase (SECRETS_IMPORT_PASSPHRASE_FILE \
            or a prompt) when it is passphrase-encrypted, else with the vault's identity. \
            With --from-azure, FILE is the JSON of `az ad app list`, `az ad app credential list` \
            (give --app-id) or Graph GET /applications; apps and credential metadata are registered, \
            without values.

            An export is data, not code. Nothing authenticates it (anyone can encrypt a document to \
            your public key, and a file can be edited on its way), so: a document from another vault \
            is refused unless --from-other-vault is given; and a document whose apps carry actions — \
            a rotator, a Jamf Pro server URL, command= consumers, jamf-pro-intune URLs, API clients or \
            apply commands, anything that would make `rotate` run a process, call a server or use \
            another app's secret — is refused, naming each one, unless --allow-actions is given. That \
            holds for this vault's own exports too. With --allow-actions every action is printed to \
            stderr before the import.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file to import.") var file: String
    @Flag(name: .long, help: "FILE is Azure JSON, not a secrets export.") var fromAzure = false
    @Option(name: .long, help: ArgumentHelp("With --from-azure: the tenant of new apps.", valueName: "tenant")) var tenant: String?
    @Option(name: .long, help: ArgumentHelp("With --from-azure: the cloud of new apps (default global).", valueName: "cloud")) var cloud: String = "global"
    @Option(name: .long, help: ArgumentHelp("With --from-azure: the app a credential list belongs to.", valueName: "guid")) var appId: String?
    @Option(name: .long, help: ArgumentHelp("An identity file that decrypts the export.", valueName: "path")) var decryptIdentity: String?
    @Flag(name: .long, help: "Import everything that does not conflict, and list the conflicts.") var skipConflicts = false
    @Flag(name: .long, help: "Accept an export whose vault ID is not this vault's.") var fromOtherVault = false
    @Flag(name: .long, help: "Accept rotators, server URLs, commands and API clients in the export (each is printed first); review them before.")
    var allowActions = false
    @OptionGroup var outputOption: JSONOption

    func validate() throws {
        // Azure's JSON names no vault and carries no actions; a flag that would do nothing is a mistake.
        if fromAzure, fromOtherVault || allowActions {
            throw ValidationError("--from-other-vault and --allow-actions apply to secrets exports; Azure JSON has no vault ID and carries no actions")
        }
    }

    func run() throws {
        try reportingErrors {
            guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError.noInput("cannot read \(file): no such readable file") }
            let summary: ImportSummary
            // Not while a rotation works on the vault: see VaultLock.
            let lock = try VaultLock(vaultPath: options.vaultPath, holder: "import", wait: VaultLock.commandWait)
            defer { _ = lock }
            if fromAzure {
                guard let tenant else { throw CLIError.usage("--from-azure needs --tenant (contoso.onmicrosoft.com or the tenant GUID) for new apps") }
                guard let parsedCloud = Cloud(rawValue: cloud.lowercased()) else {
                    throw VaultError.invalidValue(field: "cloud", reason: "\"\(cloud)\" is not one of global, usgov, usgov-dod, china")
                }
                if let appId { try Validation.guid(appId, field: "app-id") }
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                let document = try AzureApplicationsDocument.parse(data, appID: appId)
                summary = try options.open().importAzure(document, tenant: tenant, cloud: parsedCloud, skipConflicts: skipConflicts)
            } else {
                let vault = try options.open()
                // An export pasted from a ticket or a mail may be ASCII-armored (`export --armor`).
                let encrypted = try Armor.binary([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
                let plaintext = try AgeFile.decrypt(encrypted, identities: try identities(for: encrypted))
                let document = try plaintext.withUnsafeBytes { try ExportDocument.decode(Data($0)) }
                var trust: ImportTrust = fromOtherVault ? [.otherVault] : []
                if allowActions { trust.insert(.actions) }
                // Refused before anything is printed: the actions are shown only when they are
                // about to be imported.
                try vault.checkTrust(of: document, trusting: trust)
                if allowActions { Self.announce(document.actions, from: file) }
                summary = try vault.importDocument(document, skipConflicts: skipConflicts, trusting: trust)
            }
            if outputOption.json { return try Printer.json(summary) }
            Printer.line("Imported \(summary.appsAdded) app(s) and \(summary.credentialsAdded) credential(s); \(summary.unchanged) already present")
            for conflict in summary.conflictsSkipped { Terminal.printError("secrets: skipped conflict: \(conflict)") }
        }
    }

    /// Prints every action the import brings in, one per line on stderr, neutralised: the admin
    /// allowed them unseen, so the record of what was accepted is at least in front of them.
    private static func announce(_ actions: [AppAction], from file: String) {
        guard !actions.isEmpty else { return }
        Terminal.printError("secrets: --allow-actions: importing \(actions.count) action(s) from \(AppAction.neutralised(file)):")
        for action in actions {
            Terminal.printError("secrets:   \(action.location) = \(action.displayValue)")
        }
    }

    private func identities(for file: [UInt8]) throws -> [any AgeIdentity] {
        if let decryptIdentity {
            return try VaultIdentity.load(path: decryptIdentity) {
                try Passphrase.read(purpose: "identity file \(decryptIdentity)", fromStandardInput: false)
            }
        }
        let head = String(decoding: file.prefix(256), as: UTF8.self)
        if head.contains("\n-> scrypt ") {
            if let path = ProcessInfo.processInfo.environment["SECRETS_IMPORT_PASSPHRASE_FILE"], !path.isEmpty {
                return [ScryptIdentity(passphrase: try Terminal.readValue(path: path))]
            }
            guard let typed = try Terminal.readHidden(prompt: "Passphrase for \(file): ") else {
                throw CLIError.cannotUnlock("the export is passphrase-encrypted and there is no terminal; set SECRETS_IMPORT_PASSPHRASE_FILE")
            }
            return [ScryptIdentity(passphrase: typed)]
        }
        return try options.loadIdentities()
    }
}

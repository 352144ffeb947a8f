import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation

/// `secrets secret …`: store and read secret values.
struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Store and read secret values.", subcommands: [SecretAddCommand.self, SecretGetCommand.self])
}

struct SecretAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Store a new secret for an app.",
        discussion: """
            The value is read from --from-file, else from stdin when stdin is not a terminal, else \
            from a prompt without echo. It is never taken from the command line. With the default \
            --state current, the app's current secret becomes previous.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String

    @Option(name: .long, help: ArgumentHelp(
        "When the secret expires: a date (2027-05-31, 2027-05-31T12:00:00Z) or a duration from now (180d, 6mo).", valueName: "date|duration"))
    var expires: String

    @Option(name: .long, help: ArgumentHelp("The issuer's key ID (a GUID); a new one when omitted.", valueName: "guid"))
    var keyId: String?

    @Option(name: .long, help: ArgumentHelp("pending, current or previous.", valueName: "state"))
    var state: String = "current"

    @Option(name: .long, help: ArgumentHelp("Read the value from this file (- for stdin).", valueName: "path"))
    var fromFile: String?

    @Option(name: .long, help: ArgumentHelp("When the secret starts to work (default: now).", valueName: "date"))
    var validFrom: String?

    func validate() throws {
        if options.passphraseStdin, fromFile == "-" || (fromFile == nil && !Terminal.standardInputIsTerminal) {
            throw ValidationError("stdin cannot carry both the passphrase and the secret; use --from-file or SECRETS_PASSPHRASE_FILE")
        }
    }

    func run() throws {
        try reportingErrors {
            let now = Date()
            let expiry = try DateParser.parse(expires, field: "expires", now: now)
            let start = try validFrom.map { try DateParser.parse($0, field: "valid-from", now: now) }
            guard let state = CredentialState(rawValue: state.lowercased()), state != .retired else {
                throw VaultError.invalidValue(field: "state", reason: "\"\(state)\" is not one of pending, current, previous")
            }
            if let keyId { try Validation.guid(keyId, field: "key-id") }
            // The value prompt comes after the unlock: nothing typed ahead meanwhile may show.
            let quiet = fromFile == nil && Terminal.standardInputIsTerminal ? EchoSuppression() : nil
            let vault = try options.open()
            let value = try readValue()
            quiet?.restore()
            // A rotation of a Jamf Pro API client retires whatever is current when its new
            // secret arrives, so a value added meanwhile would be wiped. Taken after the prompts,
            // so a person typing does not hold up a rotation; the vault follows a rekey made
            // since it was opened.
            let lock = try VaultLock(vaultPath: vault.path, holder: "secret add", wait: VaultLock.commandWait)
            defer { _ = lock }
            let record = try vault.addSecret(to: app, value: value, keyID: keyId, expires: expiry, validFrom: start, state: state, now: now)
            Printer.line("Stored secret \(record.credential.keyID) for \"\(app)\" (\(state.rawValue), expires \(DateParser.format(expiry)))")
        }
    }

    private func readValue() throws -> SecureBytes {
        if let fromFile { return try Terminal.readValue(path: fromFile) }
        if !Terminal.standardInputIsTerminal { return try Terminal.readValue(path: "-") }
        guard let typed = try Terminal.readHidden(prompt: "Secret value for \(app): ") else {
            throw CLIError.usage("no terminal to ask for the value on; pipe it to stdin or pass --from-file")
        }
        return typed
    }
}

struct SecretGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print a secret's value, and nothing else, for piping (admin only).",
        discussion: "A newline follows the value only when stdout is a terminal.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("The credential's key ID (default: the current one).", valueName: "guid"))
    var keyId: String?

    func run() throws {
        try reportingErrors {
            // A certificate's private key is refused here (the library says to use `cert export`).
            let value = try options.reading { try $0.secretValue(of: app, keyID: keyId) }
            Terminal.writeOut(value)
            if Terminal.standardOutputIsTerminal { Terminal.writeOut(SecureBytes(copying: [UInt8(ascii: "\n")])) }
        }
    }
}

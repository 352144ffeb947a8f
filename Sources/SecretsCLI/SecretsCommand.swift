#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// The `secrets` command: keeps client secrets encrypted at rest and rotates them before they expire.
public struct SecretsCommand: ParsableCommand {
    /// The version `secrets --version` prints.
    public static let version = "0.2.0"

    /// Names the command, its abstract, version and subcommands for argument-parser.
    public static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Keep client secrets encrypted at rest, know when they expire, and rotate them safely.",
        discussion: """
            Exit codes: 0 success; 64 usage (bad flag, date, GUID or duration); 65 damaged or tampered \
            vault, unreadable document, conflict; 66 no such vault, identity, file, app or credential; \
            69 a service (Graph, Jamf Pro) unavailable; 73 cannot create (vault exists); 74 I/O error; \
            75 another command holds the vault's lock (another rotate, on a vault file); 77 cannot unlock or not allowed; 78 misconfigured app. \
            `expiring` uses 0/1/2/3 (ok, warning, critical, unknown) instead; `rotate` and `rollback` \
            exit 1 when an app failed.
            """,
        version: version,
        subcommands: [
            InitCommand.self, AppCommand.self, SecretCommand.self, ListCommand.self, ExpiringCommand.self,
            RotateCommand.self, RollbackCommand.self, JamfCommand.self, RecipientsCommand.self, RekeyCommand.self, PassphraseCommand.self, ExportCommand.self, ImportCommand.self,
            LogCommand.self, VerifyCommand.self, FingerprintCommand.self, SyncCommand.self, CertCommand.self, VaultCommand.self,
        ])

    /// Creates the command; argument-parser calls this before filling in options.
    public init() {}

    /// Runs `secrets` with the process's arguments, after making the process safe to hold keys
    /// and to write into a pipe (see ``ProcessSetup/harden()``): files it creates are private,
    /// it writes no core dumps, and a closed stdout ends its output quietly.
    ///
    /// - Parameter rotationFactory: the issuers and consumers `rotate` and `rollback` use; nil in
    ///   the `secrets` executable, which then hands those two commands over to `secrets-rotate`.
    public static func runAsMain(rotationFactory: (any RotationEnvironmentFactory)? = nil) {
        ProcessSetup.harden()
        // OpenSSL's one-time set-up runs meanwhile, while the arguments are parsed.
        OpenSSLWarmUp.begin()
        do {
            try DiagnosticLogging.bootstrap(environment: ProcessInfo.processInfo.environment)
        } catch {
            // Before parsing: argument-parser's own exit code for a foreign error would be 1.
            Terminal.printError("secrets: \(ExitStatus.message(for: error))")
            if isExpiring { ExpiringCommand.reportUnknown(ExitStatus.message(for: error), arguments: CommandLine.arguments) }
            Foundation.exit(isExpiring ? ExpiringCommand.unknown : ExitStatus.code(for: error))
        }
        do {
            var command = try parseAsRoot()
            if let networked = command as? any NetworkCommand {
                try networked.run(network: NetworkAccess(factory: rotationFactory))
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Exits for `error`: help and version as argument-parser prints them, every other failure
    /// as one `secrets: ` line on stderr with its exit code (3 for `expiring`, whatever failed).
    static func exit(reporting error: Error) -> Never {
        let code = exitCode(for: error)
        if error is ExitCode || code == .success { exit(withError: error) }
        let firstLine = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        let text = firstLine.hasPrefix("Error: ") ? String(firstLine.dropFirst(7)) : firstLine
        let subcommands = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }
        let help = (["secrets"] + subcommands.prefix(2)).joined(separator: " ") + " --help"
        Terminal.printError("secrets: \(text) (see `\(help)`)")
        if isExpiring { ExpiringCommand.reportUnknown(text, arguments: CommandLine.arguments) }
        Foundation.exit(isExpiring ? ExpiringCommand.unknown : code.rawValue)
    }

    /// Whether this process runs `expiring`, whose every failure exits 3 (a monitoring plugin's "unknown").
    static var isExpiring: Bool {
        CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } == "expiring"
    }
}

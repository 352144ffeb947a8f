import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets vault`: the vault as a whole, across backends.
struct VaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault", abstract: "Copy a vault between backends (a SQLite file and a PostgreSQL database).",
        subcommands: [VaultCopyCommand.self])
}

/// `secrets vault copy FROM TO`: the same vault, row for row, at another location.
struct VaultCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy a vault, row for row, to a new location, verifying both sides (admin only).",
        discussion: """
            FROM and TO are each a SQLite path or a postgresql:// URL (no password in it: use ~/.pgpass \
            or PGPASSFILE). The copy is the same vault (same id, keys, recipients and fingerprint); it is \
            verified by opening it with your identity, and removed if it does not verify. TO must not \
            exist (a file) or hold a vault (a database). FROM is not changed except for an audit entry.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The vault to copy: a path or a postgresql:// URL.") var from: String
    @Argument(help: "Where the copy goes: a path or a postgresql:// URL.") var to: String

    func run() throws {
        try reportingErrors {
            // No rotation may change the source while its rows are read.
            let lock = try VaultLock(vaultPath: from, holder: "vault copy", wait: VaultLock.commandWait)
            defer { _ = lock }
            let identities = try options.loadIdentities()
            let vault = try Vault.open(at: from, identities: identities, trust: options.trust)
            let report: VaultCopyReport
            do {
                report = try vault.copy(to: to, identities: identities)
            } catch let error as VaultError where error.code == .vaultExists {
                throw CLIError(description: "\(to) already holds a vault (or is a file); vault copy never overwrites one: choose another target", code: ExitStatus.cannotCreate)
            }
            let rows = report.rows.values.reduce(0, +)
            Printer.line("Copied \(rows) rows (\(report.rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))) to \(to)")
            Printer.line("The copy verifies: \(report.verification.checked.values.reduce(0, +)) rows checked, \(report.verification.secretValuesChecked) secret values decrypted; its fingerprint is the original's (\(try vault.fingerprint()))")
        }
    }
}

import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets log`: the audit log.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Show the audit log (the hash chain is checked first).")

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption
    @Option(name: .long, help: "Only entries about this app (label or app ID).") var app: String?

    func run() throws {
        try reportingErrors {
            var entries = try options.reading { try $0.auditLog() }
            if let app {
                let needle = app.lowercased()
                entries = entries.filter { $0.app?.lowercased() == needle || $0.appID == needle }
            }
            if output.json { return try Printer.json(entries) }
            Printer.table(
                ["#", "WHEN", "WHO", "ACTION", "OUTCOME", "APP", "KEY ID", "DETAIL"],
                entries.map { entry in
                    [String(entry.sequence), DateParser.format(entry.at), entry.actor, entry.action.rawValue, entry.outcome.rawValue,
                     entry.app ?? "", entry.keyID ?? "", entry.detail ?? ""]
                })
        }
    }
}

/// `secrets verify`: decrypt and check everything.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Decrypt and check every row, the audit chain and the integrity digest.",
        discussion: "Exits 0 when the vault is intact and 65 when anything is damaged, naming each damaged row.")

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let report = try options.open().verify()
            if output.json {
                try Printer.json(report)
            } else {
                let counts = ["keyring", "apps", "credentials", "audit"].map { "\(report.checked[$0] ?? 0) \($0)" }.joined(separator: ", ")
                Printer.line("Checked \(counts) rows; \(report.secretValuesSkipped ? "secret values not checked (reader identity)" : "\(report.secretValuesChecked) secret values decrypted")")
                // The first problems and a count: a vault of a million damaged rows is not a million lines.
                for problem in report.problems { Terminal.printError("secrets: \(problem)") }
                if report.problemCount > report.problems.count {
                    Terminal.printError("secrets: … and \(report.problemCount - report.problems.count) more problem(s) not listed")
                }
                Printer.line(report.isClean ? "The vault is intact." : "\(report.problemCount) problem(s) found.")
            }
            if !report.isClean { throw ExitCode(ExitStatus.dataError) }
        }
    }
}

import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets list`: one row per app with its current secret's expiry.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List apps with their current secret's expiry and status.",
        discussion: "Status: ok; due (expires within the app's rotate-before); expired; none (no current secret).")

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption

    struct Row: Encodable {
        let label: String
        let appId: String
        let tenant: String
        let cloud: String
        let status: String
        let current: CredentialJSON?
    }

    static func status(of overview: AppOverview, now: Date) -> String {
        guard let current = overview.current else { return "none" }
        guard let expires = current.expires else { return "ok" }
        if expires <= now { return "expired" }
        if expires.timeIntervalSince(now) <= overview.record.app.policy.rotateBefore { return "due" }
        return "ok"
    }

    func run() throws {
        try reportingErrors {
            let now = Date()
            let rows = try options.reading { try $0.overview() }.map { overview in
                let app = overview.record.app
                return Row(
                    label: app.label, appId: app.appID, tenant: app.tenant, cloud: app.cloud.rawValue,
                    status: Self.status(of: overview, now: now),
                    current: overview.current.map { CredentialJSON($0, now: now, valueStored: nil) })
            }
            if output.json { return try Printer.json(rows) }
            if rows.isEmpty { return Printer.line("No apps yet; add one with `secrets app add`.") }
            Printer.table(
                ["LABEL", "APP ID", "TENANT", "CLOUD", "EXPIRES", "DAYS", "STATUS"],
                rows.map { row in
                    [row.label, row.appId, row.tenant, row.cloud, row.current.map { Printer.day($0.expires) } ?? "-",
                     row.current?.daysLeft.map(String.init) ?? "-", row.status]
                })
        }
    }
}

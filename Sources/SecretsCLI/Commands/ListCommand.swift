import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets list`: one row per app with its current secret's expiry.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List apps with their current credential's expiry and status.",
        discussion: """
            Status: ok; due (expires within the app's rotate-before); expired; none (no live credential). An \
            app without a current credential (a monitored app with certificates only) shows the live one \
            that expires last. \
            With --type secret or certificate, each app's live credential of that type that expires last \
            is shown instead, and apps without one are left out. Custody: managed (rotation manages it), \
            held (the vault holds the value) or monitored (found by `secrets sync`; metadata only).
            """)

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption

    @Option(name: .customLong("type"), help: "secret, certificate or all.")
    var credentialType: CredentialType = .all

    struct Row: Encodable {
        let label: String
        let appId: String
        let tenant: String
        let cloud: String
        let status: String
        let current: CredentialJSON?
        let custody: String
        /// Who owns the app registration (a user's sign-in name, else a display name or object
        /// id), as `sync --owners` last read it; empty when it was never read.
        let owners: [String]
    }

    /// The credential a row shows: the current one (for an app without one, such as a monitored
    /// app with certificates only, its live credential that expires last), or with a `type` the
    /// live one of that type that expires last.
    /// The app registration's own credentials come first: a service principal's is shown only
    /// for an app without any (a gallery app's enterprise app).
    static func shown(_ overview: AppOverview, type: CredentialType) -> CredentialRecord? {
        if type == .all, let current = overview.credentials.first(where: { $0.credential.state == .current }) { return current }
        let live = overview.credentials.filter { type.includes($0.credential.kind) && [.current, .previous].contains($0.credential.state) }
        let own = live.filter { $0.credential.holder == .application }
        return (own.isEmpty ? live : own).max { ($0.credential.expires ?? .distantFuture) < ($1.credential.expires ?? .distantFuture) }
    }

    static func status(of overview: AppOverview, shown: Credential?, now: Date) -> String {
        guard let current = shown else { return "none" }
        guard let expires = current.expires else { return "ok" }
        if expires <= now { return "expired" }
        if expires.timeIntervalSince(now) <= overview.record.app.policy.rotateBefore { return "due" }
        return "ok"
    }

    /// The row of an app; `nil` when `type` asks for a credential type it has none of.
    static func row(_ overview: AppOverview, type: CredentialType, now: Date) -> Row? {
        let app = overview.record.app
        let shown = Self.shown(overview, type: type)
        if type != .all, shown == nil { return nil }
        let holdsValue = shown?.hasValue ?? false
        return Row(
            label: app.label, appId: app.appID, tenant: app.tenant, cloud: app.cloud.rawValue,
            status: status(of: overview, shown: shown?.credential, now: now),
            current: shown.map { CredentialJSON($0.credential, now: now, valueStored: nil) },
            custody: CredentialCustody.of(app, holder: shown?.credential.holder ?? .application, holdsValue: holdsValue).rawValue,
            owners: (app.owners ?? []).map { $0.name ?? $0.objectID })
    }

    func run() throws {
        try reportingErrors {
            let now = Date()
            let overviews: [AppOverview] = try options.reading { try $0.overview() }
            let rows = overviews.compactMap { Self.row($0, type: credentialType, now: now) }
            if output.json { return try Printer.json(rows) }
            if rows.isEmpty {
                let empty = credentialType == .all ? "No apps yet; add one with `secrets app add`." : "No app has a live \(credentialType.rawValue)."
                return Printer.line(empty)
            }
            Printer.table(
                ["LABEL", "APP ID", "TENANT", "CLOUD", "EXPIRES", "DAYS", "STATUS", "TYPE", "CUSTODY"],
                rows.map { row in
                    [row.label, row.appId, row.tenant, row.cloud, row.current.map { Printer.day($0.expires) } ?? "-",
                     row.current?.daysLeft.map(String.init) ?? "-", row.status, row.current.map { $0.holder == CredentialHolder.application.rawValue ? $0.type : "\($0.type) (SP)" } ?? "-", row.custody]
                })
        }
    }
}

import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets expiring`: what expires soon, with monitoring-plugin exit codes.
struct ExpiringCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expiring", abstract: "List credentials that are expired or expire within N days.",
        discussion: """
            Exit status follows the monitoring-plugin convention: 0 nothing in the window, 1 something \
            expires within it, 2 something has already expired, 3 the check could not be made. The \
            first line (table format) is a one-line status for Nagios, Icinga or a cron mail. A reader \
            identity is enough. Secrets and certificates are listed alike (--type narrows it), each with \
            its custody: managed (rotation manages it), held (the vault holds the value) or monitored \
            (the vault only knows it exists, as `secrets sync` found it).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, prometheus
    }

    @OptionGroup var options: VaultOptions

    @Option(name: .long, help: "The window in days.")
    var days: Int = 30

    @Option(name: .long, help: "table, json or prometheus (text exposition format for a node-exporter textfile collector).")
    var format: Format = .table

    @Flag(name: .long, help: "Same as --format json.")
    var json = false

    @Option(name: .customLong("type"), help: "secret, certificate or all.")
    var credentialType: CredentialType = .all

    @Flag(name: .long, help: ArgumentHelp(
        "Check the whole vault first (as `secrets verify` does); any damage makes the check fail with 3.",
        discussion: "Without it, every row read is authenticated, but a row deleted or re-stated behind the tool's back is only found by verify."))
    var verify = false

    static let ok: Int32 = 0, warning: Int32 = 1, critical: Int32 = 2, unknown: Int32 = 3

    struct Item {
        let label: String
        let appId: String
        let tenant: String
        let cloud: String
        let keyId: String
        let hint: String
        let state: String
        let expires: Date
        let daysLeft: Int
        let expired: Bool
        let type: String
        let custody: String
        let holder: CredentialHolder

        /// The TYPE cell of a table: a service principal's credential is marked "(SP)".
        var typeCell: String { holder == .application ? type : "\(type) (SP)" }
    }

    /// The `--json` report, written directly (see ``JSONWriter``): `{checkedAt, credentials, days, status}`,
    /// handed to `sink` in pieces of at least `pieceSize` bytes (the last one excepted), each
    /// ending after an entry.
    static func json(
        _ entries: [ExpiringCredential], days: Int, status: String, now: Date, pieceSize: Int = jsonPieceSize, to sink: (borrowing [UInt8]) -> Void
    ) {
        // One buffer of a piece's size, reused: a report of 2,000 entries is about 1 MB, and a
        // buffer of that size costs a page fault per 4 KiB, then a copy per doubling.
        var writer = JSONWriter(capacity: min(pieceSize, jsonPieceSize) + 1024)
        writer.beginObject()
        writer.field("checkedAt", .date(now))
        writer.beginArray(key: "credentials")
        // By index, each entry borrowed where it lies: a copy of an entry retains every string of its app.
        for index in entries.indices {
            write(entries[index], to: &writer, now: now)
            if writer.bytes.count >= pieceSize { writer.drain(to: sink) }
        }
        writer.endArray()
        writer.field("days", .int(days))
        writer.field("status", .string(status))
        writer.endObject()
        writer.appendNewline()
        writer.drain(to: sink)
    }

    /// The size of the pieces ``json(_:days:status:now:pieceSize:to:)`` writes.
    static let jsonPieceSize = 64 << 10

    private static func write(_ entry: borrowing ExpiringCredential, to writer: inout JSONWriter, now: Date) {
        let expires = entry.credential.expires ?? now
        writer.beginObject()
        writer.field("appId", string: entry.app.appID)
        writer.field("cloud", string: entry.app.cloud.rawValue)
        writer.field("daysLeft", .int(entry.credential.daysLeft(at: now) ?? 0))
        writer.field("expired", .bool(expires <= now))
        writer.field("expires", .date(expires))
        writer.field("hint", string: entry.credential.hint)
        writer.field("keyId", string: entry.credential.keyID)
        writer.field("label", string: entry.app.label)
        writer.field("state", string: entry.credential.state.rawValue)
        writer.field("tenant", string: entry.app.tenant)
        writer.field("type", string: entry.credential.kind.rawValue)
        writer.field("custody", string: entry.custody.rawValue)
        writer.field("holder", string: entry.credential.holder.rawValue)
        writer.beginArray(key: "owners")
        if let owners = entry.app.owners {
            for owner in owners { writer.element(owner.name ?? owner.objectID) }
        }
        writer.endArray()
        writer.endObject()
    }

    func run() throws {
        // Every failure, even a bad --days, is "could not check" (3) for a monitoring system, which
        // reads its status line from stdout: it gets one (UNKNOWN, in the format asked for).
        try reportingErrors(exitCode: { _ in Self.unknown }) {
            do {
                try check()
            } catch let error where !(error is ExitCode) {
                Self.reportUnknown(ExitStatus.message(for: error), format: json ? .json : format, days: days)
                throw error
            }
        }
    }

    /// The status of a check that could not be made, on stdout, in `format`.
    static func reportUnknown(_ message: String, format: Format, days: Int) {
        let now = Date()
        switch format {
        case .json:
            var writer = JSONWriter(capacity: 256 + message.utf8.count)
            writer.beginObject()
            writer.field("checkedAt", .date(now))
            writer.beginArray(key: "credentials")
            writer.endArray()
            writer.field("days", .int(days))
            writer.field("error", .string(message))
            writer.field("status", .string("unknown"))
            writer.endObject()
            writer.appendNewline()
            StandardStreams.out(writer.bytes)
        case .prometheus:
            Printer.verbatim(prometheusCheck(success: false, days: days, now: now))
        case .table:
            Printer.line("UNKNOWN: could not check: \(message)")
        }
    }

    /// ``reportUnknown(_:format:days:)`` for a failure before the arguments were parsed (a bad
    /// `SECRETS_LOG_LEVEL`, a bad flag): the format and window are read from `arguments` as well
    /// as they can be.
    static func reportUnknown(_ message: String, arguments: [String]) {
        var format = Format.table
        var days = 30
        for (index, argument) in arguments.enumerated() {
            let next = index + 1 < arguments.count ? arguments[index + 1] : ""
            if argument == "--json" || argument == "--format=json" || argument == "--format" && next == "json" { format = .json }
            if argument == "--format=prometheus" || argument == "--format" && next == "prometheus" { format = .prometheus }
            if argument == "--days", let value = Int(next) { days = value }
        }
        reportUnknown(message, format: format, days: days)
    }

    private func check() throws {
        guard (0...3650).contains(days) else {
            throw VaultError.invalidValue(field: "days", reason: "\(days) is not between 0 and 3650")
        }
        let now = Date()
        let vault = try options.open()
        if verify, let problem = try vault.verify().problems.first { throw CLIError(description: problem, code: ExitStatus.dataError) }
        let listed = try vault.expiring(within: TimeInterval(days) * 86_400, now: now)
        // Filtering copies every entry (an app and a credential each), so only when asked to.
        let found = credentialType == .all ? listed : listed.filter { credentialType.includes($0.credential.kind) }
        // The JSON report is written from the vault's entries directly; the other formats
        // go through rows of text.
        var items: [Item] {
            found.map { entry in
                Item(
                    label: entry.app.label, appId: entry.app.appID, tenant: entry.app.tenant, cloud: entry.app.cloud.rawValue,
                    keyId: entry.credential.keyID, hint: entry.credential.hint, state: entry.credential.state.rawValue,
                    expires: entry.credential.expires!, daysLeft: entry.credential.daysLeft(at: now)!,
                    expired: entry.credential.expires! <= now, type: entry.credential.kind.rawValue, custody: entry.custody.rawValue,
                    holder: entry.credential.holder)
            }
        }
        let expiredCount = found.count { $0.credential.expires! <= now }
        let code = expiredCount > 0 ? Self.critical : found.isEmpty ? Self.ok : Self.warning
        let status = ["OK", "WARNING", "CRITICAL"][Int(code)]
        switch json ? .json : format {
        case .json:
            // Written in pieces as it is made, each straight from the writer's buffer.
            Self.json(found, days: days, status: status.lowercased(), now: now) { StandardStreams.out($0) }
        case .prometheus:
            let syncs = try vault.tenantSyncStates()
            Printer.verbatim(Self.prometheus(items, days: days, now: now, syncs: syncs).trimmingCharacters(in: .newlines) + "\n")
        case .table:
            let items = items
            let summary: String
            if expiredCount > 0 {
                summary = "\(status): \(expiredCount) \(credentialType.noun) expired, \(items.count - expiredCount) more expire within \(days) days"
            } else if items.isEmpty {
                summary = "\(status): nothing expires within \(days) days"
            } else {
                summary = "\(status): \(items.count) \(credentialType.noun) expire within \(days) days"
            }
            Printer.line(summary)
            if !items.isEmpty {
                Printer.table(
                    ["EXPIRES", "DAYS", "LABEL", "APP ID", "KEY ID", "STATE", "TYPE", "CUSTODY"],
                    items.map { [Printer.day($0.expires), String($0.daysLeft), $0.label, $0.appId, $0.keyId, $0.state, $0.typeCell, $0.custody] })
            }
        }
        // The report is out and the outcome is the exit status, so the process ends here: the
        // vault closed first (SQLite then removes its -wal and -shm files, as always), the listing
        // not freed entry by entry, which took a twentieth of a check of 2,000 entries.
        try? vault.close()
        Foundation.exit(code)
    }

    /// A label value as the text exposition format wants it: backslash, double quote and line feed
    /// escaped (`\\`, `\"`, `\n`), the only escapes it has. Every other control character (a
    /// carriage return, ESC, C1, bidi overrides) becomes U+FFFD: the format has no escape for it,
    /// and the file is read by people with `cat` as well as by the collector.
    static func prometheusLabel(_ value: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(TerminalText.isUnsafe(scalar) ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    static func prometheus(_ items: [Item], days: Int, now: Date, syncs: [(scanner: String, state: TenantSyncState)] = []) -> String {
        // Every label value is escaped, not only the label: key ids and app ids come from issuers
        // and imports, and one unescaped quote or newline forges a series.
        func labels(_ item: Item) -> String {
            [("app", item.label), ("app_id", item.appId), ("key_id", item.keyId), ("state", item.state), ("type", item.type)]
                .map { "\($0)=\"\(prometheusLabel($1))\"" }.joined(separator: ",")
        }
        var text = """
            # HELP secrets_credential_expiry_timestamp_seconds When the credential (type: secret or certificate) expires, as a Unix timestamp.
            # TYPE secrets_credential_expiry_timestamp_seconds gauge

            """
        for item in items { text += "secrets_credential_expiry_timestamp_seconds{\(labels(item))} \(Int64(item.expires.timeIntervalSince1970))\n" }
        text += """
            # HELP secrets_credential_days_left Whole days until the credential expires (negative once expired).
            # TYPE secrets_credential_days_left gauge

            """
        for item in items { text += "secrets_credential_days_left{\(labels(item))} \(item.daysLeft)\n" }
        if !syncs.isEmpty {
            // A sync that stopped running would leave the listing silently stale: alert on its age.
            func labels(_ sync: (scanner: String, state: TenantSyncState)) -> String {
                "scanner=\"\(prometheusLabel(sync.scanner))\",tenant=\"\(prometheusLabel(sync.state.tenant))\""
            }
            text += """
                # HELP secrets_tenant_sync_last_round_timestamp_seconds When `secrets sync` last applied a round of the tenant's changes.
                # TYPE secrets_tenant_sync_last_round_timestamp_seconds gauge

                """
            for sync in syncs { text += "secrets_tenant_sync_last_round_timestamp_seconds{\(labels(sync))} \(Int64(sync.state.lastRound.timeIntervalSince1970))\n" }
            let principals = syncs.filter { $0.state.lastServicePrincipalRound != nil }
            if !principals.isEmpty {
                text += """
                    # HELP secrets_tenant_sync_last_service_principal_round_timestamp_seconds When `secrets sync --service-principals` last applied a round of the tenant's service principals.
                    # TYPE secrets_tenant_sync_last_service_principal_round_timestamp_seconds gauge

                    """
                for sync in principals {
                    text += "secrets_tenant_sync_last_service_principal_round_timestamp_seconds{\(labels(sync))} \(Int64(sync.state.lastServicePrincipalRound!.timeIntervalSince1970))\n"
                }
            }
        }
        return text + prometheusCheck(success: true, days: days, now: now)
    }

    /// The series every run writes, the one that failed too: whether the check could be made, its
    /// window and when it ran (alert on `secrets_expiring_check_success == 0` or an old timestamp).
    static func prometheusCheck(success: Bool, days: Int, now: Date) -> String {
        """
        # HELP secrets_expiring_check_success 1 if the vault could be read and checked, 0 if not (see stderr).
        # TYPE secrets_expiring_check_success gauge
        secrets_expiring_check_success \(success ? 1 : 0)
        # HELP secrets_expiring_window_days The window the check looked at.
        # TYPE secrets_expiring_window_days gauge
        secrets_expiring_window_days \(days)
        # HELP secrets_expiring_last_check_timestamp_seconds When the check ran.
        # TYPE secrets_expiring_last_check_timestamp_seconds gauge
        secrets_expiring_last_check_timestamp_seconds \(Int64(now.timeIntervalSince1970))

        """
    }
}

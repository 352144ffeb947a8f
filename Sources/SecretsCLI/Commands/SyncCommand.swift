import ArgumentParser
import ClientSecrets
import Foundation
import Rotation

/// `secrets sync SCANNER`: brings the vault in line with the tenant's applications and their
/// secrets' and certificates' metadata, through Graph's delta query.
struct SyncCommand: NetworkCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Register every application of the tenant and its credentials' metadata, incrementally.",
        discussion: """
            SCANNER is an app in the vault whose secret may read the tenant's applications (Microsoft \
            Graph application permission Application.Read.All, read-only; a rotator that also holds it \
            will do). The first run reads every application; later runs read only what changed since \
            (Graph's delta query; the link is kept in the vault). A link Graph no longer accepts starts \
            a full read, and the output says so.

            Applications new to the vault are registered as monitored: their secrets' and certificates' \
            metadata, never values, and rotation leaves them alone. For monitored apps, new credentials \
            are added, changed end dates updated and deleted ones kept as retired, each audited. Apps \
            the vault manages are never changed; where they differ from the tenant, the output says so.

            With --service-principals, the tenant's service principals (enterprise apps) are read \
            too: their SAML token-signing certificates and secrets expire as well. Their credentials \
            join the app with the same app ID (registered monitored when the vault has none: a gallery \
            app is registered in another tenant), shown as "(SP)", and are only ever monitored. A \
            SAML certificate, which Graph lists as a public key, a private key and its password, is \
            tracked as one certificate. The first such sync makes the vault format 4.

            With --owners, every application's owners are read as well (a full read each time: \
            the delta query cannot expand them) and recorded on each app of the tenant, managed or \
            monitored; `expiring --json` and `list --json` show them. Run it daily rather than hourly \
            in a large tenant.

            A sync is atomic: it reads a whole round, then stores it and the new link in one \
            transaction. A sync that fails or is killed changes nothing, and the next run reads the \
            same changes again; one that finds another sync stored a round meanwhile stores nothing \
            (75). Needs an admin identity. The first sync makes the vault format 3, which a secrets \
            older than sync does not open.

            Exit codes: 0 synced; 64 usage; 66 unknown scanner; 69 Graph unavailable (after retrying \
            429/503 as Retry-After asks); 77 the scanner may not read the applications or cannot sign \
            in; 75 another sync stored a round meanwhile; 78 the scanner has no secret in the vault.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The scanner app's label or app ID.") var scanner: String
    @Flag(name: .long, help: "Read every application, not only what changed since the last sync.") var full = false
    @Flag(name: .long, help: "Read the tenant's service principals (enterprise apps) and their credentials too.") var servicePrincipals = false
    @Flag(name: .long, help: "Read every application's owners too (a full read each time).") var owners = false
    @OptionGroup var output: JSONOption

    func run(network access: NetworkAccess) throws {
        try reportingErrors {
            let network = try access.factoryOrHandOver()
            try network.checkEndpoints()
            let vault = try options.open()
            guard vault.role == .admin else { throw VaultError.notAuthorized(reason: "sync writes the vault and reads the scanner's secret: it needs an admin identity") }
            // The whole vault is checked where it counts: inside the transaction that applies the round.
            let record = try vault.app(scanner)
            let environment = try network.environment(
                for: ManualIssuer.run(.init(keyID: nil, expires: nil, valueFromStandardInput: false, confirmedRemoved: [])))
            let reader = try environment.tenantReader(scanner: record, in: vault)
            let state = try vault.tenantSyncState(scanner: record.app.label)
            // A link kept for another tenant (the scanner's was edited since) is not followed.
            let sameTenant = !full && state?.tenant == record.app.tenant
            let link = sameTenant ? state?.deltaLink : nil
            let principalLink = sameTenant ? state?.servicePrincipalDeltaLink : nil
            let (round, principals, owners) = try runBlocking { [servicePrincipals, owners] in
                let round = try await reader.changes(of: .application, since: link)
                let principals = servicePrincipals ? try await reader.changes(of: .servicePrincipal, since: principalLink) : nil
                let listed = owners ? try await reader.owners() : nil
                return (round, principals, listed)
            }
            let summary = try vault.applyTenantRound(round, servicePrincipals: principals, owners: owners, scanner: record.app.label, readFrom: state)
            try print(summary, scanner: record.app)
        }
    }

    struct Report: Encodable {
        let scanner: String
        let tenant: String
        let summary: TenantSyncSummary
    }

    private func print(_ summary: TenantSyncSummary, scanner: App) throws {
        if output.json { return try Printer.json(Report(scanner: scanner.label, tenant: scanner.tenant, summary: summary)) }
        let kind = summary.fullRound ? "full read" : "changes since the last sync"
        Printer.line("Synced tenant \(scanner.tenant) as \(scanner.label): \(kind), \(summary.applicationsSeen) application(s) in \(summary.pages) page(s).")
        if let reason = summary.resyncReason {
            Printer.line("Graph no longer accepted the kept delta link (\(reason)), so every application was read again.")
        }
        if summary.servicePrincipalsRead {
            let principalKind = summary.servicePrincipalsFullRound ? "full read" : "changes since the last sync"
            Printer.line("Service principals: \(principalKind), \(summary.servicePrincipalsSeen) in \(summary.servicePrincipalPages) page(s).")
            if let reason = summary.servicePrincipalsResyncReason {
                Printer.line("Graph no longer accepted the kept service-principal delta link (\(reason)), so every service principal was read again.")
            }
        }
        if summary.ownersRead {
            Printer.line("Owners: every application's, in \(summary.ownerRequests) request(s); \(summary.ownersChanged) app(s) with owners new or changed.")
        }
        let principalsRemoved = summary.servicePrincipalsRead ? ", \(summary.servicePrincipalsRemoved) service principal(s) removed" : ""
        Printer.line(
            "  apps: \(summary.appsAdded) added, \(summary.appsRemoved) removed\(principalsRemoved); credentials: \(summary.credentialsAdded) added, "
                + "\(summary.credentialsChanged) changed, \(summary.credentialsRemoved) removed")
        for line in summary.drift { Printer.line("  differs (managed, left alone): \(line)") }
        if summary.driftCount > summary.drift.count { Printer.line("  … and \(summary.driftCount - summary.drift.count) more differences") }
        for line in summary.refused { Terminal.printError("secrets: refused from Graph: \(line)") }
        if summary.refusedCount > summary.refused.count {
            Terminal.printError("secrets: … and \(summary.refusedCount - summary.refused.count) more refused from Graph")
        }
    }
}

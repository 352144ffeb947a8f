import ArgumentParser
import ClientSecrets
import Foundation
import Rotation

/// `secrets rotate`: resume, retire and rotate, app by app.
struct RotateCommand: NetworkCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate secrets with an overlap: create, deploy, verify, promote, and retire the old one later.",
        discussion: """
            For each app chosen (by name, --due or --all) it first resumes whatever an earlier run \
            left half done, then retires previous secrets whose overlap has passed, then rotates \
            when the app is due (its current secret expires within rotate-before, has expired, or \
            there is none); --all rotates every app whether due or not. A second run right after a \
            successful one does nothing; --force rotates named apps that are not due. --dry-run \
            prints the plan and changes nothing.
            With no apps and no --due or --all it only says what --due would do. \
            While an app waits for a person (see the README's person-in-the-loop table), a run \
            changes nothing for it until `--confirm-deployed`; --retire-now, --abandon and \
            rollback are refused then (75). \
            On a vault on PostgreSQL, runs on several hosts divide the apps between them: each app \
            is worked on by one host at a time, and an app another host still holds is taken up \
            when it lets go (resumed, if that host died). \
            Exit codes: 0 every app done or nothing to do (or only explained); 1 one or more apps \
            failed, or a command its state refuses (each named; nothing changed); 64 usage; 66 unknown app; \
            75 an app waits for a person (see the notes), or another command holds the vault's lock; 77 not an admin.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "Apps (labels or app IDs) to rotate when due.") var apps: [String] = []
    @Flag(name: .long, help: "Every app that is due.") var due = false
    @Flag(name: .long, help: "Every app, due or not.") var all = false
    @Flag(name: .long, help: "Rotate the named apps even when they are not due.") var force = false
    @Flag(name: .long, help: "Print the plan; change nothing.") var dryRun = false
    @Option(name: .long, help: ArgumentHelp("Apps rotated at once (1–64).", valueName: "n"))
    var concurrency = RotationEngine.Options.defaultConcurrency
    @Option(name: .long, help: ArgumentHelp("End APP's overlap now and retire its previous secret.", valueName: "app"))
    var retireNow: String?
    @Flag(name: .long, help: "Do not ask for confirmation (--retire-now, --abandon).") var yes = false
    @Flag(name: .long, help: "You put the named apps' new secrets in place by hand (after `jamf payload --reveal`); their previous secrets may now be retired after the overlap.")
    var confirmDeployed = false
    @Flag(name: .long, help: "Give up on the named app's unfinished rotation: every consumer gets the current secret back (one that cannot is named), then a pending new secret is removed at the issuer.")
    var abandon = false
    @Option(name: .long, help: ArgumentHelp("Manual issuer: the new secret's key id.", valueName: "guid")) var keyId: String?
    @Option(name: .long, help: ArgumentHelp("Manual issuer: the new secret's expiry (date or duration).", valueName: "date"))
    var expires: String?
    @Option(name: .long, help: ArgumentHelp("Manual issuer: a key id you deleted in the portal. Repeatable.", valueName: "guid"))
    var confirmRemoved: [String] = []
    @Option(name: .long, help: ArgumentHelp(
        "Wait up to this many seconds for another command holding the vault's lock (another rotate on this host's vault file; rekey, app remove and the like anywhere) instead of exiting 75; then do what is still due and resume what it left half done.",
        valueName: "seconds"))
    var wait: Int = 0
    @OptionGroup var tuning: RotationTuningOptions
    @OptionGroup var output: JSONOption

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard (0...86_400).contains(wait) else { throw ValidationError("--wait must be between 0 and 86400 seconds") }
        guard !(due && all) else { throw ValidationError("choose --due or --all, not both") }
        guard apps.isEmpty || !(due || all) else { throw ValidationError("name apps or use --due/--all, not both") }
        guard !force || !apps.isEmpty else { throw ValidationError("--force applies to named apps; --all rotates every app") }
        if retireNow != nil, !apps.isEmpty || due || all || dryRun {
            throw ValidationError("--retire-now takes one app and no other selection")
        }
        if abandon, apps.count != 1 || due || all || dryRun || retireNow != nil {
            throw ValidationError("--abandon takes exactly one app and no other selection")
        }
        if confirmDeployed, apps.isEmpty { throw ValidationError("--confirm-deployed applies to the apps you name") }
    }

    func run(network access: NetworkAccess) throws {
        try reportingErrors(exitCode: { ($0 as? ExitCode)?.rawValue ?? ExitStatus.code(for: $0) }) {
            let selection: RotationSelection = all ? .all : due ? .due : .apps(apps, force: force)
            let selects = !apps.isEmpty || due || all || retireNow != nil
            if dryRun || !selects {
                let vault = try options.open()
                guard selects else {
                    // Like help: asking what rotate would do is not a mistake, so it exits 0.
                    return try explain(vault)
                }
                let engine = RotationEngine(vault: vault, environment: UnavailableEnvironment())
                // The grace a run with these options would give a key that still signs in.
                let grace = try tuning.resolved().usageGrace
                let plans = try engine.plan(selection).map { plan in
                    var plan = plan
                    if case .signIns = plan.retireCheck { plan.retireCheck = .signIns(grace: grace) }
                    return plan
                }
                // A plan is a view of the vault: a journal row deleted would drop a resume from it.
                try vault.checkIntegrity()
                return try RotationOutput.printPlans(plans, json: output.json, showErrors: vault.role == .admin)
            }
            // Before anything is unlocked: without a factory this process becomes
            // `secrets-rotate` here, which must be the only one to ask for a passphrase.
            let network = try access.factoryOrHandOver()
            // After the exec above (the lock's descriptor does not survive it) and before the
            // vault is opened, so that the keys read at open are not replaced by a rekey that
            // finished in between.
            // Shared for a bulk run: on PostgreSQL several hosts' runs divide the apps between
            // them (each app under a claim of its own); alone for --retire-now and --abandon.
            let lock = try VaultLock(
                vaultPath: options.vaultPath, holder: "rotate", wait: TimeInterval(wait), shared: retireNow == nil && !abandon)
            defer { _ = lock }
            let vault = try options.open()
            guard vault.role == .admin else {
                throw VaultError.notAuthorized(reason: "rotating needs an admin identity; a reader can only use --dry-run")
            }
            // Before any hook runs or any server is called: nothing forged, deleted or put back
            // from an older copy of the file may drive a rotation.
            try vault.checkIntegrity()
            let engine = try makeEngine(vault, network: network, claims: lock.appClaims)
            let results: [AppRotationResult]
            if let retireNow {
                let label = try vault.app(retireNow).app.label
                try Confirmation.require(label: label, action: "end the overlap of \(label) and delete its previous secret at the issuer", yes: yes)
                results = [try runBlocking { await engine.retireNow(label) }]
            } else if abandon {
                let label = try vault.app(apps[0]).app.label
                try Confirmation.require(label: label, action: "abandon the unfinished rotation of \(label) and delete its pending secret at the issuer", yes: yes)
                results = [try runBlocking { await engine.abandon(label) }]
            } else {
                let plans = try engine.plan(selection).filter { !$0.isEmpty }
                results = try runBlocking { await engine.run(plans) }
            }
            try RotationOutput.printResults(results, json: output.json)
            let failed = results.filter { $0.status == .failed }
            if !failed.isEmpty {
                let names = failed.map { "\($0.label) (\($0.failure.map { "\($0.step): \($0.message)" } ?? "failed"))" }.joined(separator: "; ")
                Terminal.printError("secrets: rotation failed for \(failed.count) app(s): \(names)")
                throw ExitCode(ExitStatus.someFailed)
            }
            try RotationOutput.exitIfWaiting(results)
        }
    }

    private func makeEngine(_ vault: Vault, network: any RotationEnvironmentFactory, claims: (any AppClaims)?) throws -> RotationEngine {
        let expiry = try expires.map { try DateParser.parse($0, field: "expires", now: Date()) }
        if let keyId { try Validation.guid(keyId, field: "key-id") }
        for keyID in confirmRemoved { try Validation.guid(keyID, field: "confirm-removed") }
        let manual = ManualIssuer.Input(
            keyID: keyId?.lowercased(), expires: expiry, valueFromStandardInput: !Terminal.standardInputIsTerminal && !options.passphraseStdin,
            confirmedRemoved: Set(confirmRemoved.map { $0.lowercased() }))
        // A bad endpoint override is a usage problem of the whole run, not of one app.
        try network.checkEndpoints()
        let progress = RotationProgress(enabled: isatty(STDERR_FILENO) == 1 && !output.json)
        return RotationEngine(
            vault: vault, environment: try network.environment(for: ManualIssuer.run(manual, tuning: try tuning.resolved())),
            options: try engineOptions(vault, claims: claims), progress: progress.report)
    }

    private func engineOptions(_ vault: Vault, claims: (any AppClaims)?) throws -> RotationEngine.Options {
        var options = RotationEngine.Options(concurrency: concurrency)
        options.claims = claims
        if confirmDeployed { options.confirmedDeployments = Set(try apps.map { try vault.app($0).app.label.lowercased() }) }
        return options
    }

    private func explain(_ vault: Vault) throws {
        let engine = RotationEngine(vault: vault, environment: UnavailableEnvironment())
        let plans = try engine.plan(.due).filter { !$0.isEmpty }
        let rotating = plans.filter(\.rotate).map(\.label)
        let retiring = plans.reduce(0) { $0 + $1.retire.count }
        let resuming = plans.reduce(0) { $0 + $1.resume.count }
        let names = rotating.prefix(5).joined(separator: ", ") + (rotating.count > 5 ? ", …" : "")
        // With --json, stdout keeps its shape (no app was rotated) and the explanation goes to stderr.
        if output.json { try RotationOutput.printResults([], json: true) }
        let json = output.json
        func say(_ text: String) {
            if json { Terminal.printError("secrets: " + text) } else { Printer.line(text) }
        }
        // Two calls: each line is printed neutralised, which would show a newline inside one as `\u{A}`.
        say("Nothing was done; name the apps to rotate, or use --due (every app that is due) or --all (every app).")
        say("""
            With --due it would now rotate \(rotating.count) app(s)\(rotating.isEmpty ? "" : " (\(names))"), \
            retire \(retiring) previous secret(s) and resume \(resuming) unfinished run(s). \
            See each step with `secrets rotate --due --dry-run`.
            """)
    }
}

/// `secrets rollback APP`: the previous secret becomes current again and is redeployed.
struct RollbackCommand: NetworkCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Make an app's previous secret current again and redeploy it, while it is still valid.",
        discussion: """
            The secret it replaces becomes previous and is retired by the next `secrets rotate`. \
            The consumers are verified with it; one that needs a person makes the rollback wait \
            for `secrets rotate APP --confirm-deployed` (75). Refused when the previous secret has \
            expired or was retired, when the issuer invalidated it (Jamf Pro API clients), while \
            another row is unfinished (1), or while the app waits for a person (75). \
            Exit codes: 0 done; 1 failed or refused; 64 usage; 66 unknown app; 75 waits for a person.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false
    @OptionGroup var output: JSONOption

    func run(network access: NetworkAccess) throws {
        try reportingErrors(exitCode: { ($0 as? ExitCode)?.rawValue ?? ExitStatus.code(for: $0) }) {
            let network = try access.factoryOrHandOver()
            let lock = try VaultLock(vaultPath: options.vaultPath, holder: "rollback")
            defer { _ = lock }
            let vault = try options.open()
            guard vault.role == .admin else { throw VaultError.notAuthorized(reason: "rollback needs an admin identity") }
            try vault.checkIntegrity()
            let label = try vault.app(app).app.label
            try Confirmation.require(label: label, action: "make the previous secret of \(label) current again and redeploy it", yes: yes)
            let engine = RotationEngine(
                vault: vault,
                environment: try network.environment(
                    for: ManualIssuer.run(.init(keyID: nil, expires: nil, valueFromStandardInput: false, confirmedRemoved: []))))
            let result = try runBlocking { await engine.rollback(label) }
            try RotationOutput.printResults([result], json: output.json)
            if result.status == .failed {
                Terminal.printError("secrets: rollback of \(label) failed: \(result.failure?.message ?? "unknown reason")")
                throw ExitCode(ExitStatus.someFailed)
            }
            try RotationOutput.exitIfWaiting([result])
        }
    }
}

/// Asks a person to type an app's label before an irreversible step.
enum Confirmation {
    static func require(label: String, action: String, yes: Bool) throws {
        if yes { return }
        guard let typed = try Terminal.readHidden(prompt: "This will \(action). Type the label \"\(label)\" to go on: ") else {
            throw CLIError.usage("no terminal to confirm on; pass --yes to \(action)")
        }
        guard typed.withUnsafeBytes({ String(decoding: $0, as: UTF8.self) }) == label else {
            throw CLIError.usage("the label did not match; nothing was done")
        }
    }
}

/// Prints progress lines on a terminal.
struct RotationProgress: Sendable {
    let enabled: Bool

    var report: @Sendable (RotationEvent) -> Void {
        let enabled = enabled
        return { event in if enabled { Terminal.printError("  \(event.label): \(event.message)") } }
    }
}

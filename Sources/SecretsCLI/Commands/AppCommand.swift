import ArgumentParser
import ClientSecrets
import Foundation
import Rotation

/// `secrets app …`: the apps (client registrations) in the vault.
struct AppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Add, list, show, edit and remove apps (client registrations).",
        subcommands: [AppAddCommand.self, AppListCommand.self, AppShowCommand.self, AppEditCommand.self, AppRemoveCommand.self])
}

/// The model fields `app add` and `app edit` share.
struct AppFieldOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The client (application) ID, a GUID.", valueName: "guid"))
    var appId: String?

    @Option(name: .long, help: ArgumentHelp("The tenant: a domain such as contoso.onmicrosoft.com, or its GUID.", valueName: "tenant"))
    var tenant: String?

    @Option(name: .long, help: ArgumentHelp("global (also GCC, that is GCC moderate), usgov (GCC High), usgov-dod or china.", valueName: "cloud"))
    var cloud: String?

    @Option(name: .long, help: ArgumentHelp(
        "Who issues the secrets: entra-id, jamf-pro-api-client or manual. Default: entra-id with --rotator, jamf-pro-api-client with --jamf-url/--jamf-integration-id, else manual.",
        valueName: "kind"))
    var issuer: String?

    @Option(name: .long, help: ArgumentHelp(
        "Entra ID: the app in the vault whose secret authenticates to Graph (Application.ReadWrite.OwnedBy). Jamf Pro API client: an API client allowed to update API integrations.",
        valueName: "label"))
    var rotator: String?

    @Option(name: .long, help: ArgumentHelp("Jamf Pro API client issuer: the Jamf Pro URL.", valueName: "url"))
    var jamfURL: String?

    @Option(name: .long, help: ArgumentHelp("Jamf Pro API client issuer: the API integration's id.", valueName: "id"))
    var jamfIntegrationId: String?

    @Option(name: .long, help: ArgumentHelp(
        "An issuer's setting, key=value, such as url=https://example.jamfcloud.com (same as --jamf-url). Repeatable.",
        valueName: "key=value"))
    var issuerSetting: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "A consumer, kind=target: jamf-pro-intune=https://example.jamfcloud.com or command=/path/to/hook. Repeatable.",
        valueName: "kind=target"))
    var consumer: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "A consumer's setting, key=value (an empty value clears it), for the first consumer whose kind declares the key, such as applyCommand=/path/to/apply (same as --apply-command). Repeatable.",
        valueName: "key=value"))
    var consumerSetting: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "jamf-pro-intune consumer: the app in the vault holding a Jamf Pro API client, used to verify the integration.",
        valueName: "label"))
    var jamfApiClient: String?

    @Option(name: .long, help: ArgumentHelp("jamf-pro-intune consumer: a computer id whose compliance must still be reported.", valueName: "id"))
    var jamfCanary: String?

    @Option(name: .long, help: ArgumentHelp(
        "jamf-pro-intune consumer: a command that applies the update payload, which it reads on stdin.", valueName: "command"))
    var applyCommand: String?

    @Option(name: .long, help: ArgumentHelp("Lifetime of new secrets (default 180d; at most 730d, Graph's default of two years; a tenant policy may allow less).", valueName: "duration"))
    var lifetime: String?

    @Option(name: .long, help: ArgumentHelp("Rotate this long before expiry (default 30d).", valueName: "duration"))
    var rotateBefore: String?

    @Option(name: .long, help: ArgumentHelp("Keep the previous secret valid this long after a rotation (default 7d).", valueName: "duration"))
    var overlap: String?

    @Option(name: .long, help: ArgumentHelp("A tag. Repeatable.", valueName: "tag"))
    var tag: [String] = []

    @Option(name: .long, help: ArgumentHelp("Free-form notes.", valueName: "text"))
    var notes: String?

    @Option(name: .long, help: ArgumentHelp(
        "Added to the display name of each new secret, after its marker: secrets:<rotation id> <text>. At most 64 characters, no control characters; \"\" removes it.",
        valueName: "text"))
    var secretDescription: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Let rotation manage an app that `secrets sync` only monitors (--rotator and --consumer imply it); sync then reports where it differs from the tenant instead of changing it."))
    var manage = false

    func parsedCloud() throws -> Cloud? {
        try cloud.map {
            guard let value = Cloud(rawValue: $0.lowercased()) else {
                throw VaultError.invalidValue(field: "cloud", reason: "\"\($0)\" is not one of global, usgov, usgov-dod, china")
            }
            return value
        }
    }

    func parsedIssuer() throws -> IssuerKind? {
        try issuer.map {
            guard let value = IssuerKind(rawValue: $0.lowercased()) else {
                throw VaultError.invalidValue(field: "issuer", reason: "\"\($0)\" is not one of entra-id, jamf-pro-api-client, manual")
            }
            return value
        }
    }

    /// The issuer settings given, by key: the issuers' own flags and `--issuer-setting key=value`.
    func givenIssuerSettings() throws -> [String: String] {
        var given: [String: String] = [:]
        if let jamfURL { given[JamfProIssuerSettings.urlKey] = jamfURL }
        if let jamfIntegrationId { given[JamfProIssuerSettings.integrationIDKey] = jamfIntegrationId }
        for text in issuerSetting {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, IssuerKind.setting(parts[0].lowercased()) != nil else {
                let known = IssuerKind.allCases.flatMap { kind in kind.settings.map { "\($0.key) (\(kind.rawValue))" } }.joined(separator: ", ")
                throw VaultError.invalidValue(field: "issuer-setting", reason: "\"\(text.prefix(64))\" is not key=value with a key of \(known)")
            }
            given[parts[0].lowercased()] = parts[1]
        }
        return given
    }

    /// The issuer whose settings were given; `nil` when none were.
    func settingsOwner() throws -> IssuerKind? {
        let owners = Set(try givenIssuerSettings().keys.compactMap { IssuerKind.setting($0)?.0 })
        guard owners.count <= 1 else {
            throw CLIError.usage("the settings given belong to different issuers (\(owners.map(\.rawValue).sorted().joined(separator: ", "))): give one issuer's")
        }
        return owners.first
    }

    func parsedConsumers() throws -> [Consumer] {
        try consumer.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            if let why = Consumer.explainSecretless(parts[0]) {
                throw VaultError.invalidValue(field: "consumer", reason: why)
            }
            guard parts.count == 2, let kind = Consumer.Kind(rawValue: parts[0].lowercased()) else {
                throw VaultError.invalidValue(field: "consumer", reason: "\"\(text.prefix(64))\" is not kind=target with kind jamf-pro-intune or command")
            }
            return Consumer(kind: kind, target: parts[1])
        }
    }

    /// The issuer the flags ask for: `--issuer`, or the one `--rotator` (entra-id) or
    /// `--jamf-url`/`--jamf-integration-id` (jamf-pro-api-client) imply; `nil` to keep `current`
    /// (`nil` when adding: then the app gets `manual`).
    ///
    /// Implied because an app given a rotator but left `manual` would make `rotate` wait for a
    /// person to type a secret, silently. An existing app whose issuer is not `manual` changes
    /// only with `--issuer`: a flag of another issuer is then a usage error, not a switch.
    func resolvedIssuer(current: IssuerKind?) throws -> IssuerKind? {
        let explicit = try parsedIssuer()
        let rotates = !(rotator ?? "").isEmpty
        if let owner = try settingsOwner() {
            let flags = owner.settings.map { "--" + $0.flag }.joined(separator: " and ")
            if let explicit, explicit != owner {
                throw CLIError.usage("\(flags) belong to the \(owner.rawValue) issuer, not --issuer \(explicit.rawValue): drop one of them")
            }
            if explicit == nil, let current, current != .manual, current != owner {
                throw CLIError.usage("the app's issuer is \(current.rawValue); \(flags) belong to \(owner.rawValue): add --issuer \(owner.rawValue) to change it")
            }
            return owner
        }
        if rotates {
            if explicit == .manual {
                throw CLIError.usage("--rotator needs an issuer that calls an API (entra-id or jamf-pro-api-client), not --issuer manual: drop one of them")
            }
            if explicit == nil, current == .manual { return .entraID }
            return explicit ?? current ?? .entraID
        }
        return explicit
    }

    /// Applies every field that was given to `app`; `adding` when `app` is new.
    func apply(to app: inout App, adding: Bool = false) throws {
        if let appId { app.appID = appId.lowercased() }
        if let tenant { app.tenant = tenant.lowercased() }
        if let cloud = try parsedCloud() { app.cloud = cloud }
        if let issuer = try resolvedIssuer(current: adding ? nil : app.issuer) { app.issuer = issuer }
        if let rotator { app.rotator = rotator.isEmpty ? nil : rotator }
        if let owner = try settingsOwner() {
            let given = try givenIssuerSettings()
            for setting in owner.settings {
                guard let value = given[setting.key] ?? app.issuerSettings[setting.key] else {
                    let flags = owner.settings.map { "--" + $0.flag }.joined(separator: " and ")
                    throw CLIError.usage("the \(owner.rawValue) issuer needs \(owner.settings.count == 2 ? "both " : "")\(flags)")
                }
                app.issuerSettings[setting.key] = value
            }
        }
        if !consumer.isEmpty { app.consumers = try parsedConsumers() }
        try applyConsumerSettings(to: &app.consumers)
        if let lifetime { app.policy.lifetime = try DurationParser.parse(lifetime, field: "lifetime") }
        if let rotateBefore { app.policy.rotateBefore = try DurationParser.parse(rotateBefore, field: "rotate-before") }
        if let overlap { app.policy.overlap = try DurationParser.parse(overlap, field: "overlap") }
        if !tag.isEmpty { app.tags = tag }
        if let notes { app.notes = notes }
        if let secretDescription { app.secretDescription = secretDescription.isEmpty ? nil : secretDescription }
        // A rotator or a consumer asks the vault to manage the app, as `--rotator` implies its issuer.
        if manage || !(rotator ?? "").isEmpty || !consumer.isEmpty { app.monitored = false }
    }
}

struct AppAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add an app.",
        discussion: """
            The issuer defaults to entra-id when --rotator is given, to jamf-pro-api-client when \
            --jamf-url or --jamf-integration-id is, and to manual otherwise (rotate then asks a \
            person for each new secret). An --issuer that contradicts those flags is a usage error (64).
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label: the unique name you will type.") var label: String
    @OptionGroup var fields: AppFieldOptions

    func validate() throws {
        do {
            _ = try fields.resolvedIssuer(current: nil)
        } catch let error as CLIError {
            throw ValidationError(error.description)
        } catch {
            // A bad value (an unknown --issuer) is reported by run(), naming its flag.
        }
    }

    func run() throws {
        try reportingErrors {
            guard fields.appId != nil else { throw CLIError.usage("app add needs --app-id (the client ID GUID)") }
            guard fields.tenant != nil else { throw CLIError.usage("app add needs --tenant (contoso.onmicrosoft.com or the tenant GUID)") }
            var app = App(label: label, appID: "", tenant: "")
            try fields.apply(to: &app, adding: true)
            try app.validate()
            let vault = try options.open()
            try vault.addApp(app)
            Printer.line("Added app \"\(app.label)\" (\(app.appID))")
        }
    }
}

struct AppListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the apps and how they are managed.")

    @OptionGroup var options: VaultOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let apps = try options.reading { try $0.overview() }.map(\.record.app)
            if output.json { return try Printer.json(apps.map(AppJSON.init)) }
            Printer.table(
                ["LABEL", "APP ID", "TENANT", "CLOUD", "ISSUER", "POLICY", "CONSUMERS", "TAGS"],
                apps.map { app in
                    [app.label, app.appID, app.tenant, app.cloud.rawValue, app.issuer.rawValue, AppJSON.policyText(app.policy),
                     app.consumers.map(\.kind.rawValue).joined(separator: ","), app.tags.joined(separator: ",")]
                })
        }
    }
}

struct AppShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an app and its credentials.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            // `reading` checks the whole vault, so the view itself needs no secret column.
            let overview = try options.reading { try $0.overview(of: self.app, authenticatingRows: false) }
            let now = Date()
            if output.json { return try Printer.json(AppJSON(overview, now: now)) }
            let app = overview.record.app
            for (name, value) in [
                ("Label", app.label), ("App ID", app.appID), ("Tenant", app.tenant), ("Cloud", app.cloud.rawValue),
                ("Issuer", app.issuer.rawValue + (app.rotator.map { " (rotator \($0))" } ?? "")
                    + (app.jamfProIssuer.map { " (\($0.url), integration \($0.integrationID))" } ?? "")
                    + app.otherIssuerSettings.sorted { $0.key < $1.key }.map { " (\($0.key) \($0.value))" }.joined()),
                ("Policy", AppJSON.policyText(app.policy)),
                ("Consumers", app.consumers.isEmpty ? "none" : app.consumers.map(\.description).joined(separator: ", ")),
                ("Tags", app.tags.joined(separator: ", ")),
                ("New secret", RotationJournal.displayName(rotationID: "<rotation id>", description: app.secretDescription)),
                ("Owners", app.owners.map { $0.isEmpty ? "none" : $0.map { $0.name ?? $0.objectID }.joined(separator: ", ") } ?? "not read (sync --owners)"),
                ("Notes", app.notes),
            ] {
                // Notes may span lines (the only field allowed to): each continues under the first,
                // indented, so none can pass for another field. Printer.line escapes every other
                // control character, a newline in any other field included.
                let parts = name == "Notes" ? value.split(separator: "\n", omittingEmptySubsequences: false) : [Substring(value)]
                for (index, part) in parts.enumerated() {
                    let title = index == 0 ? name + ":" : ""
                    Printer.line("\(title.padding(toLength: 11, withPad: " ", startingAt: 0)) \(part)")
                }
            }
            Printer.line("")
            Printer.table(
                ["KEY ID", "TYPE", "HINT", "STATE", "CREATED", "EXPIRES", "DAYS", "VALUE"],
                overview.credentials.map { record in
                    let credential = record.credential
                    let type = credential.holder == .application ? credential.kind.rawValue : "\(credential.kind.rawValue) (SP)"
                    return [credential.keyID, type, credential.kind == .secret ? credential.hint + "…" : "-", credential.state.rawValue,
                            Printer.day(credential.created), Printer.day(credential.expires), credential.daysLeft(at: now).map(String.init) ?? "-",
                            record.hasValue ? "stored" : "not stored"]
                })
        }
    }
}

struct AppEditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change an app's fields.",
        discussion: "Only the fields given change. --consumer and --tag replace the whole list; --clear-consumers and --clear-tags empty it.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: "A new label.") var label: String?
    @OptionGroup var fields: AppFieldOptions
    @Flag(name: .long, help: "Remove every consumer.") var clearConsumers = false
    @Flag(name: .long, help: "Remove every tag.") var clearTags = false

    func run() throws {
        try reportingErrors {
            // Not while a rotation works on the vault: see VaultLock.
            let lock = try VaultLock(vaultPath: options.vaultPath, holder: "app edit", wait: VaultLock.commandWait)
            defer { _ = lock }
            let vault = try options.open()
            let record = try vault.editApp(app) { app in
                if let label { app.label = label }
                if clearConsumers { app.consumers = [] }
                if clearTags { app.tags = [] }
                try fields.apply(to: &app)
            }
            Printer.line("Updated app \"\(record.app.label)\"")
        }
    }
}

struct AppRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove an app and its stored secrets (the audit log keeps its history).",
        discussion: "Nothing is removed at the issuer. Asks for the label to be typed unless --yes is given.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        try reportingErrors {
            let vault = try options.open()
            let record = try vault.app(app)
            if !yes {
                guard let typed = try Terminal.readHidden(prompt: "Type the label \"\(record.app.label)\" to remove it: ") else {
                    throw CLIError.usage("no terminal to confirm on; pass --yes to remove \"\(record.app.label)\"")
                }
                guard typed.withUnsafeBytes({ String(decoding: $0, as: UTF8.self) }) == record.app.label else {
                    throw CLIError.usage("the label did not match; nothing was removed")
                }
            }
            // Not while a rotation works on the app (see VaultLock); after the prompt, so a
            // person typing does not hold up a rotation.
            let lock = try VaultLock(vaultPath: vault.path, holder: "app remove", wait: VaultLock.commandWait)
            defer { _ = lock }
            try vault.removeApp(app)
            Printer.line("Removed app \"\(record.app.label)\" and its stored secrets")
        }
    }
}

import Foundation

/// A ``WorldPlan`` made real in the emulators: every id and secret they now hold, and the
/// `secrets` commands that give a new vault (after `secrets init`) the same knowledge.
///
/// The secrets are test values the emulators made up, handed to the caller in the control API's
/// answer (`POST /_emulator/world`) and to `secrets` on stdin, never in argv.
public struct SeededWorld: Sendable, Codable, Equatable {
    /// An app the emulators hold, with its one secret.
    public struct App: Sendable, Codable, Equatable {
        /// Its label in the vault.
        public let label: String
        /// Its app ID (for a Jamf Pro API client, its client ID).
        public let appID: String
        /// The secret's key id at Entra ID; `nil` for a Jamf Pro API client, whose secrets have none.
        public let keyID: String?
        /// Today's secret: a test value the emulator made up.
        public let secret: String
        /// When it expires, in days from the seeding.
        public let expiresInDays: Int

        enum CodingKeys: String, CodingKey {
            case label, appID = "appId", keyID = "keyId", secret, expiresInDays
        }
    }

    /// The plan this world was seeded from.
    public let plan: WorldPlan
    /// The rotator app (label `rotator`).
    public let rotator: App
    /// The Jamf Pro API client (label `jamf-api`), when the plan has Jamf Pro.
    public let apiClient: App?
    /// The rotator's apps, in the plan's order.
    public private(set) var apps: [App]
    /// The emulated Entra ID's base URL (login and Graph).
    public let entraURL: String
    /// The emulated Jamf Pro's base URL, when the plan has Jamf Pro.
    public let jamfURL: String?
    /// What builds the vault, in order: see ``VaultCommand``.
    public private(set) var vaultCommands: [VaultCommand]

    /// Seeds `plan` into `entra` (and `jamf`, which a plan with Jamf Pro needs).
    public static func seed(_ plan: WorldPlan, entra: EntraEmulator, entraURL: String, jamf: JamfProEmulator? = nil, jamfURL: String? = nil) async -> SeededWorld {
        let rotatorID = newGUID(), rotatorSecret = newSecretValue()
        await entra.registerApplication(appID: rotatorID, displayName: "secrets rotator", roles: plan.rotatorRoles)
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        let rotator = App(label: "rotator", appID: rotatorID, keyID: rotatorKey, secret: rotatorSecret, expiresInDays: 300)
        var commands = [
            VaultCommand(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", plan.tenant, "--cloud", plan.cloud]),
            VaultCommand(["secret", "add", "rotator", "--key-id", rotatorKey, "--expires", "300d"], standardInput: rotatorSecret),
        ]
        var apiClient: App?
        if plan.jamf, let jamf, let jamfURL {
            let client = App(label: "jamf-api", appID: newGUID(), keyID: nil, secret: newSecretValue(), expiresInDays: 90)
            await jamf.registerAPIClient(clientID: client.appID, secret: client.secret, integrationID: WorldPlan.integrationID)
            await jamf.addComputer(id: WorldPlan.canary)
            commands += [
                VaultCommand([
                    "app", "add", "jamf-api", "--app-id", client.appID, "--tenant", WorldPlan.jamfTenant,
                    "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", WorldPlan.integrationID,
                ]),
                VaultCommand(["secret", "add", "jamf-api", "--expires", "90d"], standardInput: client.secret),
            ]
            apiClient = client
        }
        var world = SeededWorld(
            plan: plan, rotator: rotator, apiClient: apiClient, apps: [], entraURL: entraURL, jamfURL: jamfURL, vaultCommands: commands)
        for app in plan.apps { await world.add(app, entra: entra) }
        return world
    }

    /// Registers `app` in `entra`, owned by the rotator, with a new secret, and appends the
    /// commands that add it to the vault (issuer `entra-id`, rotator `rotator`); returns the
    /// commands added.
    @discardableResult
    public mutating func add(_ app: WorldPlan.App, entra: EntraEmulator) async -> [VaultCommand] {
        let appID = app.appID ?? Self.newGUID()
        let secret = Self.newSecretValue()
        await entra.registerApplication(appID: appID, displayName: app.displayName ?? app.label, owners: [rotator.appID])
        let keyID = await entra.addSecret(appID: appID, value: secret, expires: Date().addingTimeInterval(Double(app.expiresInDays) * 86_400))
        apps.append(App(label: app.label, appID: appID, keyID: keyID, secret: secret, expiresInDays: app.expiresInDays))
        let options = app.options.map { option in jamfURL.map { option.replacingOccurrences(of: "{jamf}", with: $0) } ?? option }
        let added = [
            VaultCommand(
                ["app", "add", app.label, "--app-id", appID, "--tenant", plan.tenant, "--cloud", plan.cloud, "--issuer", "entra-id", "--rotator", "rotator"]
                    + options),
            VaultCommand(["secret", "add", app.label, "--key-id", keyID, "--expires", "\(app.expiresInDays)d"], standardInput: secret),
        ]
        vaultCommands += added
        return added
    }

    /// The app labelled `label` seeded last (a label removed and added again names the new app).
    public func app(_ label: String) -> App? {
        apps.last { $0.label == label }
    }

    /// The world as a shell script for `bash` (the quick start sources it): `world_*` variables with the ids (never the
    /// secrets), then each vault command as a call of `secrets`, which the script that sources it
    /// defines (the quick start echoes and runs it). Secrets reach `secrets` on stdin through
    /// `printf`, a shell builtin, so they are in no process's argv.
    public var shellScript: String {
        var lines = ["# The seeded test world (POST /_emulator/world?format=shell), for bash to source."]
        lines.append("world_entra_url=\(VaultCommand.shellWord(entraURL))")
        if let jamfURL { lines.append("world_jamf_url=\(VaultCommand.shellWord(jamfURL))") }
        lines.append("world_rotator_app_id=\(VaultCommand.shellWord(rotator.appID))")
        if let apiClient { lines.append("world_jamf_api_client_id=\(VaultCommand.shellWord(apiClient.appID))") }
        lines += vaultCommands.map(\.shellLine)
        return lines.joined(separator: "\n") + "\n"
    }

    static func newGUID() -> String { UUID().uuidString.lowercased() }

    /// A secret value shaped like an Entra ID client secret (40 characters), unique per call.
    public static func newSecretValue() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-")
        return "Q8" + String((0..<38).map { _ in alphabet.randomElement()! })
    }
}

/// Why a plan could not be seeded.
public struct WorldPlanError: Error, CustomStringConvertible {
    /// What is wrong with the plan.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}

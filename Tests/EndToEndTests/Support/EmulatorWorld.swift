import Emulators
import Foundation
import ProcessHarness
import Testing

/// The set-up the rotation suites against the emulators share: the shared test world
/// (``SeededWorld``, the one the harnesses, the benchmark and the quick start seed too) in the
/// emulated Entra ID (and, when asked, Jamf Pro with a Jamf Pro API client `jamf-api`,
/// integration 7, and canary computer 42), a sandbox pointed at them, and a vault built by the
/// world's own commands. Each suite adds its own apps with
/// ``addEntraApp(_:displayName:expiresInDays:options:appID:)`` and keeps its specifics
/// (consumers, faults, checks) to itself.
final class EmulatorWorld: @unchecked Sendable {
    /// How the emulated Jamf Pro checks a secret entered into its Intune integration on Save.
    enum JamfValidation {
        /// Through a sign-in that Graph's credential sign-in report records, as Jamf Pro's use of
        /// the secret would (the usage-aware retire sees it).
        case signIn
        /// Only whether Entra ID accepts it, leaving no sign-in on record.
        case accepts
    }

    /// The emulated Jamf Pro of a world, with its API client.
    struct Jamf {
        let emulator: JamfProEmulator
        /// Its base URL, without a trailing slash.
        let url: String
    }

    /// An Entra ID app the world registered: owned by the rotator, its secret in the vault.
    struct EntraApp: Sendable {
        let label: String
        let appID: String
        let oldSecret: String
        let oldKey: String
    }

    static let tenant = WorldPlan().tenant
    /// The canary computer registered in the emulated Jamf Pro.
    static let canary = WorldPlan.canary
    /// The emulated Jamf Pro's API integration the `jamf-api` client belongs to.
    static let integrationID = WorldPlan.integrationID

    let sandbox: Sandbox
    let entra: EntraEmulator
    /// The emulated Entra ID's base URL, without a trailing slash (login and Graph endpoint).
    let entraURL: String
    private let jamfWorld: Jamf?
    /// What the emulators hold; its apps grow with each ``addEntraApp(_:displayName:expiresInDays:options:appID:)``.
    private(set) var world: SeededWorld

    /// The rotator's app ID.
    var rotatorID: String { world.rotator.appID }

    private init(sandbox: Sandbox, entra: EntraEmulator, entraURL: String, jamf: Jamf?, world: SeededWorld) {
        self.sandbox = sandbox
        self.entra = entra
        self.entraURL = entraURL
        self.jamfWorld = jamf
        self.world = world
    }

    /// The emulated Jamf Pro; the test fails if the world was made without one.
    var jamf: Jamf {
        get throws { try #require(jamfWorld, "this world has no Jamf Pro emulator") }
    }

    /// Starts the emulators and builds the vault: `rotator` (Graph roles `rotatorRoles`, in
    /// `cloud`), and with `jamf` a Jamf Pro emulator (`validation`, `jamfConfiguration`) whose API
    /// client is stored as `jamf-api`.
    static func make(
        _ name: String, rotatorRoles: [String] = ["Application.ReadWrite.OwnedBy"], cloud: String = "global",
        replicationDelay: Duration = .milliseconds(200), jamf validation: JamfValidation? = nil,
        jamfConfiguration: JamfProEmulator.Configuration = .init()
    ) async throws -> EmulatorWorld {
        let entra = EntraEmulator(configuration: .init(replicationDelay: replicationDelay))
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        var jamf: Jamf?
        if let validation {
            let emulator = JamfProEmulator(configuration: jamfConfiguration, secretValidator: { _, appID, secret in
                if validation == .signIn { return await entra.signIn(appID: appID, secret: secret) }
                return await entra.accepts(appID: appID, secret: secret)
            })
            jamf = Jamf(emulator: emulator, url: try await emulator.start().absoluteString.trimmingSuffix("/"))
        }
        let sandbox = try Sandbox(name)
        sandbox.setEnvironment(["SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL])
        let plan = WorldPlan(cloud: cloud, rotatorRoles: rotatorRoles, jamf: jamf != nil)
        let seeded = await SeededWorld.seed(plan, entra: entra, entraURL: entraURL, jamf: jamf?.emulator, jamfURL: jamf?.url)
        try sandbox.initVault()
        try sandbox.run(seeded.vaultCommands)
        return EmulatorWorld(sandbox: sandbox, entra: entra, entraURL: entraURL, jamf: jamf, world: seeded)
    }

    /// Registers an Entra ID app owned by the rotator, with a secret expiring in `days` (so due
    /// when under 30), and adds it to the vault as `label` (issuer `entra-id`, rotator
    /// `rotator`, the world's cloud) with `options` (consumers, policy), its secret stored.
    func addEntraApp(
        _ label: String, displayName: String, expiresInDays days: Int, options: [String] = [], appID: String = Sandbox.guid()
    ) async throws -> EntraApp {
        let commands = await world.add(
            WorldPlan.App(label: label, displayName: displayName, appID: appID, expiresInDays: days, options: options), entra: entra)
        try sandbox.run(commands)
        let app = try #require(world.app(label))
        return EntraApp(label: label, appID: app.appID, oldSecret: app.secret, oldKey: try #require(app.keyID))
    }

    /// The key ids the emulated Entra ID holds for `appID`.
    func keysAtIssuer(_ appID: String) async -> Set<String> {
        Set(await entra.secrets(ofApp: appID).map(\.keyID))
    }

    /// Stops the emulators and removes the sandbox.
    func finish() async {
        if let jamfWorld { await jamfWorld.emulator.stop() }
        await entra.stop()
        sandbox.remove()
    }
}

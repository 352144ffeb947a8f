import Emulators
import Foundation
import ProcessHarness
import Testing

/// The set-up the rotation suites against the emulators share: the emulated Entra ID (and, when
/// asked, Jamf Pro with a Jamf Pro API client `jamf-api`, integration 7, and canary computer 42),
/// a sandbox pointed at them, and a vault holding the `rotator` app whose secret the emulated
/// Entra ID accepts. Each suite adds its own apps with ``addEntraApp(_:displayName:expiresInDays:options:)``
/// and keeps its specifics (consumers, faults, checks) to itself.
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

    static let tenant = "contoso.onmicrosoft.com"
    /// The canary computer registered in the emulated Jamf Pro.
    static let canary = "42"
    /// The emulated Jamf Pro's API integration the `jamf-api` client belongs to.
    static let integrationID = "7"

    let sandbox: Sandbox
    let entra: EntraEmulator
    /// The emulated Entra ID's base URL, without a trailing slash (login and Graph endpoint).
    let entraURL: String
    let rotatorID: String
    private let jamfWorld: Jamf?
    private let cloud: String

    private init(sandbox: Sandbox, entra: EntraEmulator, entraURL: String, rotatorID: String, jamf: Jamf?, cloud: String) {
        self.sandbox = sandbox
        self.entra = entra
        self.entraURL = entraURL
        self.rotatorID = rotatorID
        self.jamfWorld = jamf
        self.cloud = cloud
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
        let world = EmulatorWorld(sandbox: sandbox, entra: entra, entraURL: entraURL, rotatorID: Sandbox.guid(), jamf: jamf, cloud: cloud)

        let rotatorSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: world.rotatorID, displayName: "secrets rotator", roles: rotatorRoles)
        let rotatorKey = await entra.addSecret(appID: world.rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", world.rotatorID, "--tenant", tenant, "--cloud", cloud])
        _ = try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])

        if let jamf {
            let apiClientID = Sandbox.guid(), apiSecret = Sandbox.secretValue()
            await jamf.emulator.registerAPIClient(clientID: apiClientID, secret: apiSecret, integrationID: integrationID)
            await jamf.emulator.addComputer(id: canary)
            try sandbox.succeed([
                "app", "add", "jamf-api", "--app-id", apiClientID, "--tenant", "contoso.jamfcloud.com",
                "--issuer", "jamf-pro-api-client", "--jamf-url", jamf.url, "--jamf-integration-id", integrationID,
            ])
            _ = try sandbox.addSecret("jamf-api", value: apiSecret, expires: "90d")
        }
        return world
    }

    /// Registers an Entra ID app owned by the rotator, with a secret expiring in `days` (so due
    /// when under 30), and adds it to the vault as `label` (issuer `entra-id`, rotator
    /// `rotator`, the world's cloud) with `options` (consumers, policy), its secret stored.
    func addEntraApp(
        _ label: String, displayName: String, expiresInDays days: Int, options: [String] = [], appID: String = Sandbox.guid()
    ) async throws -> EntraApp {
        let oldSecret = Sandbox.secretValue()
        await entra.registerApplication(appID: appID, displayName: displayName, owners: [rotatorID])
        let oldKey = await entra.addSecret(appID: appID, value: oldSecret, expires: Date().addingTimeInterval(Double(days) * 86_400))
        try sandbox.succeed(
            ["app", "add", label, "--app-id", appID, "--tenant", Self.tenant, "--cloud", cloud, "--issuer", "entra-id", "--rotator", "rotator"]
                + options)
        _ = try sandbox.addSecret(label, value: oldSecret, expires: "\(days)d", options: ["--key-id", oldKey])
        return EntraApp(label: label, appID: appID, oldSecret: oldSecret, oldKey: oldKey)
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

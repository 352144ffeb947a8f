import Foundation

/// The worlds seeded in emulators that run together (`secrets-emulator`), for their control API:
/// `POST /_emulator/world` seeds one, `POST /_emulator/world/apps` adds apps to one.
public actor EmulatedWorlds {
    /// Apps added to a seeded world, and the commands that add them to its vault.
    public struct AddedApps: Sendable, Codable, Equatable {
        /// The apps added, in order.
        public let apps: [SeededWorld.App]
        /// The commands that add them to the world's vault.
        public let vaultCommands: [VaultCommand]
    }

    private let entra: EntraEmulator
    private let entraURL: String
    private let jamf: JamfProEmulator?
    private let jamfURL: String?
    /// Every world seeded, by its rotator's app ID.
    private var worlds: [String: SeededWorld] = [:]

    /// Worlds in `entra` and, when one runs, `jamf`.
    public init(entra: EntraEmulator, entraURL: String, jamf: JamfProEmulator? = nil, jamfURL: String? = nil) {
        self.entra = entra
        self.entraURL = entraURL
        self.jamf = jamf
        self.jamfURL = jamfURL
    }

    /// Seeds `plan`.
    ///
    /// - Throws: ``WorldPlanError`` for a plan with Jamf Pro where none runs.
    public func seed(_ plan: WorldPlan) async throws -> SeededWorld {
        guard !plan.jamf || jamf != nil else { throw WorldPlanError("these emulators run without Jamf Pro (--entra-only)") }
        let world = await SeededWorld.seed(plan, entra: entra, entraURL: entraURL, jamf: jamf, jamfURL: jamfURL)
        worlds[world.rotator.appID] = world
        return world
    }

    /// Adds `apps` to the world whose rotator is `rotatorAppID`.
    ///
    /// - Throws: ``WorldPlanError`` when no world has that rotator.
    public func add(_ apps: [WorldPlan.App], toWorldOf rotatorAppID: String) async throws -> AddedApps {
        guard var world = worlds[rotatorAppID.lowercased()] else { throw WorldPlanError("no world has rotator \(rotatorAppID)") }
        var commands: [VaultCommand] = []
        for app in apps { commands += await world.add(app, entra: entra) }
        worlds[world.rotator.appID] = world
        return AddedApps(apps: Array(world.apps.suffix(apps.count)), vaultCommands: commands)
    }
}

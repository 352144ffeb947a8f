import ClientSecrets
import EntraID
import Foundation
import Rotation

/// The issuers and consumers `secrets` knows, reached over HTTP (libcurl): Entra ID through
/// Microsoft Graph, Jamf Pro API clients, Jamf Pro's Intune integration, and command hooks.
///
/// `secrets-rotate` runs the command line with this factory; `secrets` itself links no HTTP
/// client and hands `rotate` and `rollback` over to it.
public struct StandardProviders: RotationEnvironmentFactory {
    /// Creates the factory; it holds nothing until a run asks for an environment.
    public init() {}

    /// The environment of one run: one Graph session and token cache, one hook runner.
    public func environment(for run: RotationRunSettings) throws -> any RotationEnvironment {
        try StandardEnvironment(run: run)
    }

    /// Checks `SECRETS_GRAPH_ENDPOINT` and the other endpoint overrides.
    public func checkEndpoints() throws {
        do {
            _ = try EntraEndpoints(cloud: .global)
        } catch let caught as RotationFailure where caught.code == .misconfigured {
            let message = caught.reason
            throw RotationSettingError(message)
        }
    }
}

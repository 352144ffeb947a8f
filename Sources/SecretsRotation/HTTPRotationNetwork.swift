import ClientSecrets
import EntraID
import Foundation
import SecretsCLI

/// The network side of `rotate` and `rollback`: Entra ID over Microsoft Graph and the Jamf Pro
/// API, through HTTPTransport (libcurl). Installed by `secrets-rotate` only, so that `secrets` links no HTTP
/// client (see ``RotationNetworkProvider``).
package struct HTTPRotationNetwork: RotationNetworkProvider {
    package init() {}

    package func environment(manual: ManualIssuer.Input, tuning: RotationTuning) throws -> any RotationEnvironment {
        try CLIRotationEnvironment(manual: manual, tuning: tuning)
    }

    package func checkEndpoints() throws {
        do {
            _ = try EntraEndpoints(cloud: .global)
        } catch RotationFailure.misconfigured(let message) {
            throw CLIError.usage(message)
        }
    }
}

import ClientSecrets
import Rotation

/// The environment of runs that only plan: building an issuer would be a bug.
struct UnavailableEnvironment: RotationEnvironment {
    func issuer(for app: AppRecord, in vault: Vault) throws -> any Issuer {
        throw RotationFailure.misconfigured("planning does not contact issuers")
    }

    func consumers(for app: AppRecord, in vault: Vault) throws -> [any SecretConsumer] { [] }
}

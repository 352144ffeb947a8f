import ClientSecrets
import Foundation

/// What `rotate` and `rollback` need to reach issuers and consumers over HTTP.
///
/// `secrets` itself links no HTTP client: FoundationNetworking loads libcurl and two dozen more
/// shared libraries at start-up, several milliseconds that every `expiring` in a monitoring loop
/// would pay. The `secrets-rotate` executable is the same program with a provider installed;
/// `secrets` hands the commands that need the network to it (see ``NetworkExecutable``), the way
/// git hands https remotes to `git-remote-https`.
package protocol RotationNetworkProvider: Sendable {
    /// The issuers and consumers of one run; `manual` is what the person gave for manual issuers,
    /// `tuning` the waits of `rotate` (`--jamf-canary-wait`, `--usage-grace`).
    func environment(manual: ManualIssuer.Input, tuning: RotationTuning) throws -> any RotationEnvironment
    /// Throws a usage error when an endpoint override (`SECRETS_GRAPH_ENDPOINT`, …) is unusable.
    func checkEndpoints() throws
}

extension RotationNetworkProvider {
    /// The issuers and consumers of one run with the default waits (`rollback`).
    func environment(manual: ManualIssuer.Input) throws -> any RotationEnvironment {
        try environment(manual: manual, tuning: RotationTuning())
    }
}

/// The provider of this process, installed once by the executable before arguments are parsed.
package enum RotationNetwork {
    private final class Slot: @unchecked Sendable {
        let lock = NSLock()
        var provider: (any RotationNetworkProvider)?
    }

    private static let slot = Slot()

    /// Installs `provider`; `secrets-rotate` does this first thing.
    package static func install(_ provider: any RotationNetworkProvider) {
        slot.lock.withLock { slot.provider = provider }
    }

    /// The installed provider; when there is none (the `secrets` executable), the process is
    /// replaced by `secrets-rotate` with the same arguments, which has one.
    static func provider() throws -> any RotationNetworkProvider {
        if let provider = slot.lock.withLock({ slot.provider }) { return provider }
        try NetworkExecutable.replaceProcess()
    }
}

import ArgumentParser
import ClientSecrets
import Rotation

/// How a command that reaches issuers and consumers gets them.
///
/// `secrets` itself links no HTTP client: FoundationNetworking would load libcurl and two dozen
/// more shared libraries at start-up, several milliseconds that every `expiring` in a monitoring
/// loop would pay. `secrets-rotate` is the same program run with a factory; `secrets` hands the
/// commands that need the network to it (see ``NetworkExecutable``), the way git hands https
/// remotes to `git-remote-https`.
struct NetworkAccess: Sendable {
    /// The factory of this process, or nil in `secrets`.
    let factory: (any RotationEnvironmentFactory)?

    /// This process's factory; without one, the process is replaced by `secrets-rotate` with the
    /// same arguments (which never returns here).
    func factoryOrHandOver() throws -> any RotationEnvironmentFactory {
        if let factory { return factory }
        try NetworkExecutable.replaceProcess()
    }
}

/// A command that may reach issuers and consumers: ``SecretsCommand/runAsMain(rotationFactory:)``
/// runs it with the process's ``NetworkAccess`` instead of calling `run()`.
protocol NetworkCommand: ParsableCommand {
    func run(network: NetworkAccess) throws
}

extension NetworkCommand {
    /// Run without a factory (argument-parser's own entry point): hands over to `secrets-rotate`
    /// when the network is needed.
    func run() throws { try run(network: NetworkAccess(factory: nil)) }
}

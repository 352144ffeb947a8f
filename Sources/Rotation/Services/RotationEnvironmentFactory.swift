import ClientSecrets

/// Makes the ``RotationEnvironment`` of one run: the seam between the command line, which knows
/// what a person asked for, and the module that knows the services (issuers and consumers that
/// talk HTTP).
///
/// The `secrets` executable has none and hands `rotate` and `rollback` to `secrets-rotate`,
/// which is built with the standard one (module `Providers`); a tool that embeds the library
/// passes its own.
public protocol RotationEnvironmentFactory: Sendable {
    /// The issuers and consumers of one run.
    ///
    /// - Throws: ``RotationSettingError`` when a setting of the run (an environment variable such
    ///   as `SECRETS_HTTP_TIMEOUT`) is unusable.
    func environment(for run: RotationRunSettings) throws -> any RotationEnvironment

    /// Checks the endpoint overrides (`SECRETS_GRAPH_ENDPOINT`, …) before any vault is opened.
    ///
    /// - Throws: ``RotationSettingError`` naming the override that is unusable.
    func checkEndpoints() throws
}

/// What the caller of a run decides and a ``RotationEnvironmentFactory`` cannot know.
public struct RotationRunSettings: Sendable {
    /// Builds the issuer of an app whose secrets a person makes (issuer `manual`): only the
    /// caller knows whether there is a terminal to ask on and what the person passed.
    public var manualIssuer: @Sendable (App) -> any Issuer
    /// The waits of the run.
    public var tuning: RotationTuning
    /// The environment variables the services read (timeouts, endpoint overrides).
    public var environment: [String: String]

    /// Creates the settings of a run.
    public init(manualIssuer: @escaping @Sendable (App) -> any Issuer, tuning: RotationTuning = RotationTuning(), environment: [String: String]) {
        self.manualIssuer = manualIssuer
        self.tuning = tuning
        self.environment = environment
    }
}

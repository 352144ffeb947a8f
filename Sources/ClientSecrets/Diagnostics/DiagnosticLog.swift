import Logging

/// The loggers of the vault library: what the rotation engine and its command hooks do, for
/// someone diagnosing a run (`SECRETS_LOG_LEVEL=debug secrets rotate …`).
///
/// Everything is logged at `debug` or `trace`: a program that embeds the library and never
/// bootstraps swift-log (whose default handler prints `info` and above to stdout) sees none of it
/// mixed into its output. Nothing logged ever holds a secret value, a token, a request body or
/// the text of a hook's output; the hygiene tests run rotations at `trace` and check that.
public enum DiagnosticLog {
    /// The environment variable the `secrets` tool reads its log level from.
    public static let levelVariable = "SECRETS_LOG_LEVEL"

    /// `secrets.rotation`: each journaled step of each app, and how each app's run ended.
    package static let rotation = Logger(label: "secrets.rotation")
    /// `secrets.command`: apply commands and command consumers: started, ended, stopped.
    package static let command = Logger(label: "secrets.command")

    /// The level named `text` (`trace`, `debug`, `info`, `notice`, `warning`, `error`,
    /// `critical`; any case), or nil for anything else.
    public static func level(named text: String) -> Logger.Level? {
        Logger.Level(rawValue: text.lowercased())
    }
}

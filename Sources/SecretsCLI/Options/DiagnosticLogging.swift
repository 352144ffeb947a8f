import ClientSecrets
import Logging

/// The diagnostic log on stderr, switched on by `SECRETS_LOG_LEVEL`.
///
/// Unset or empty, nothing is logged and stderr holds only what the commands print. Set to
/// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`, every message at that
/// level or above goes to stderr, one line each, prefixed with a timestamp, the level and the
/// logger's label (`secrets.entra`, `secrets.jamf`, `secrets.rotation`, `secrets.command`).
/// The libraries log at `debug` and `trace` only: HTTP method, path and status, retry decisions,
/// rotation steps, hooks started and ended; never a secret, a token, a header or a body.
enum DiagnosticLogging {
    /// Installs the handler for `environment`'s `SECRETS_LOG_LEVEL`. Call once, before any logging.
    ///
    /// - Throws: a usage error naming the variable when its value is not a level.
    static func bootstrap(environment: [String: String]) throws {
        let name = DiagnosticLog.levelVariable
        guard let text = environment[name], !text.isEmpty else {
            LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
            return
        }
        guard let level = DiagnosticLog.level(named: text) else {
            LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
            throw CLIError.usage(
                "invalid \(name) \"\(text.prefix(16))\": use trace, debug, info, notice, warning, error or critical (or leave it unset for no log)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

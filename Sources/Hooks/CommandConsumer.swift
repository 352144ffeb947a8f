import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// A `command` consumer: an administrator's hook that receives the new secret on stdin and puts
/// it wherever it is used (a configuration file, another vault, a CI variable).
///
/// The command gets exactly the bytes of the value — no trailing newline — and end of file;
/// what it is updating is described by `SECRETS_APP_LABEL`, `SECRETS_APP_ID`, `SECRETS_KEY_ID`
/// and `SECRETS_ROTATION_ID` (see ``CommandRunner``). Exit status 0 means done.
///
/// Verification: this program cannot know what the command updated, so by default ``verify(_:)``
/// asks a person to confirm it. A hook written to check its own work before exiting 0 (for
/// example, it restarts the service and waits for a health check) leaves nothing more to
/// verify; build the consumer with `exitStatusVerifies: true` and verify reports done.
public struct CommandConsumer: SecretConsumer {
    /// The command line, run as `/bin/sh -c COMMAND`.
    public let command: String
    /// Runs the command (timeout, environment, output capture).
    public let runner: CommandRunner
    /// Whether the command's exit status 0 at deploy already proves the secret works where it went.
    public let exitStatusVerifies: Bool

    /// Creates the consumer for `consumer` (kind ``Consumer/Kind/command``, `target` the command).
    ///
    /// - Throws: ``RotationFailure/misconfigured(_:)`` for another kind of consumer.
    public init(consumer: Consumer, runner: CommandRunner = CommandRunner(), exitStatusVerifies: Bool = false) throws {
        guard consumer.kind == .command else {
            throw RotationFailure.misconfigured("a \(consumer.kind.rawValue) consumer is not a command")
        }
        self.init(command: consumer.target, runner: runner, exitStatusVerifies: exitStatusVerifies)
    }

    /// Creates the consumer for a command line.
    public init(command: String, runner: CommandRunner = CommandRunner(), exitStatusVerifies: Bool = false) {
        self.command = command
        self.runner = runner
        self.exitStatusVerifies = exitStatusVerifies
    }

    /// `command <the command, shortened>`.
    public var summary: String {
        let shown = command.count > 60 ? String(command.prefix(60)) + "…" : command
        return "command \(shown)"
    }

    /// Runs the command with the value on stdin.
    ///
    /// - Throws: ``RotationFailure/consumerFailed(_:)`` naming the exit status (or the timeout)
    ///   and nothing the command printed: that error is stored in the vault's rotation journal,
    ///   so the command's output, scrubbed of the secret, is only shown on stderr (see
    ///   ``CommandRunner/reportFailure(_:of:redacting:)``).
    public func deploy(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        let result = try await runner.run(command, input: delivery.value, context: CommandRunner.Context(delivery))
        guard result.succeeded else {
            throw RotationFailure.consumerFailed(runner.reportFailure(result, of: summary, redacting: [delivery.value]))
        }
        return .done("\(summary) took secret \(delivery.credential.keyID)")
    }

    /// False: the hook's exit status 0 at deploy is what the engine relies on (as the model of
    /// the protocol does, Models/README.md); the `.needsPerson` text of ``verify(_:)`` is advice
    /// for the notes, not a wait. Every rotation with a hook would otherwise wait for a person.
    public var unverifiedWaitsForPerson: Bool { false }

    /// Done when the exit status is trusted as verification, else what a person must check.
    public func verify(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        if exitStatusVerifies {
            return .done("\(summary) checks its own work: its exit status 0 at deploy is the verification")
        }
        return .needsPerson(
            "confirm that what \(summary) updates now works with secret \(delivery.credential.keyID) (hint \(delivery.credential.hint)) of \"\(delivery.app.label)\"")
    }
}

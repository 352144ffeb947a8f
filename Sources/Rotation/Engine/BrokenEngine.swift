import ClientSecrets
import Foundation

/// Deliberately broken engines, for the randomised stateful test and the model's `broken` mode
/// (Models/README.md): each must be caught by the checks that claim to guard against it.
///
/// Chosen with `SECRETS_TEST_BROKEN_ENGINE=<name>`, read only in DEBUG builds: a release build
/// compiles the switch out, so no environment can weaken a real rotation.
enum BrokenEngine: String, CaseIterable, Sendable {
    /// The previous secret is removed at the issuer right after deploy, before verify.
    case retireBeforeVerify = "retire_before_verify"
    /// Verify counts a consumer's "not verified yet" (`.needsPerson`) as verified.
    case staleCanary = "stale_canary"
    /// The journal row is written with the stored secret, not before the create.
    case journalAfterCreate = "journal_after_create"
    /// `--retire-now` ends the overlap although a person has not confirmed yet.
    case retireNowWhileWaiting = "retire_now_while_waiting"
    /// Abort removes the new secret without giving the consumers the old one back.
    case abortWithoutRestore = "abort_without_restore"
    /// `--abandon` closes a rotation that waits for a person.
    case abandonWhileWaiting = "abandon_while_waiting"

    /// Whether this break is switched on (always false outside DEBUG builds).
    static func on(_ broken: BrokenEngine) -> Bool {
        #if DEBUG
        return selected == broken
        #else
        return false
        #endif
    }

    #if DEBUG
    private static let selected = ProcessInfo.processInfo.environment["SECRETS_TEST_BROKEN_ENGINE"].flatMap(BrokenEngine.init(rawValue:))
    #endif
}

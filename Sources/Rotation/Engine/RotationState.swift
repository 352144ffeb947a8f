import ClientSecrets
import Foundation

/// Where an app's rotation stands, read from its open journal rows, and which of a person's
/// commands that state allows: the one table every command consults (the README prints it).
///
/// | state                     | `rotate` (resume)  | `--confirm-deployed` | `--retire-now` | `--abandon` | `rollback` |
/// |---------------------------|--------------------|----------------------|----------------|-------------|------------|
/// | idle                      | retire, rotate     | as `rotate`          | yes            | refused (1) | yes        |
/// | waiting for a person      | waits (75), inert  | closes the wait      | refused (75)   | refused (75)| refused (75)|
/// | rotation unfinished       | resumes            | as `rotate`          | yes            | yes; refused (1) for a Jamf Pro API client | refused (1) |
/// | rollback unfinished       | resumes            | as `rotate`          | yes (not its key) | refused (1) | refused (1) |
/// | retirement unfinished     | resumes            | as `rotate`          | yes            | yes         | refused (1) |
///
/// "Waiting for a person" wins over the others: while a person has to act, nothing that exits 75
/// changes anything at the issuer or in the vault.
public enum RotationState: Sendable, Hashable {
    /// No open journal row.
    case idle
    /// A rotation or a rollback made its key current and waits for a person to confirm that a
    /// consumer holds it (``RotationJournal/Step/confirm``).
    case waitingForPerson(RotationJournal)
    /// A rollback is open: consumers may already hold the key it redeploys.
    case rollbackUnfinished(RotationJournal)
    /// A rotation is open before its confirm step (create … promote, abort).
    case rotationUnfinished(RotationJournal)
    /// Only retirements are open.
    case retirementUnfinished(RotationJournal)

    /// The commands a person runs on one app.
    public enum Command: String, Sendable, CaseIterable {
        /// `secrets rotate APP`: resume, retire, rotate when due.
        case resume = "rotate"
        /// `secrets rotate APP --confirm-deployed`.
        case confirmDeployed = "--confirm-deployed"
        /// `secrets rotate --retire-now APP`.
        case retireNow = "--retire-now"
        /// `secrets rotate APP --abandon`.
        case abandon = "--abandon"
        /// `secrets rollback APP`.
        case rollback = "rollback"
    }

    /// The state of an app whose open journal rows are `open`.
    public init(open: [RotationJournal]) {
        let open = open.filter(\.isOpen)
        if let row = open.first(where: { $0.step == .confirm }) {
            self = .waitingForPerson(row)
        } else if let row = open.first(where: { $0.kind == .rollback }) {
            self = .rollbackUnfinished(row)
        } else if let row = open.first(where: { $0.kind == .rotate }) {
            self = .rotationUnfinished(row)
        } else if let row = open.first {
            self = .retirementUnfinished(row)
        } else {
            self = .idle
        }
    }

    /// Whether a person has to act before anything else happens to the app.
    public var waitsForPerson: Bool {
        if case .waitingForPerson = self { return true }
        return false
    }

    /// Refuses `command` on app `label` when this state does not allow it; the refusal says what
    /// to do instead. `keepsPreviousSecret` is the issuer's (false for a Jamf Pro API client).
    /// `rotate` and `--confirm-deployed` are never refused here: the steps themselves wait.
    func check(_ command: Command, label: String, keepsPreviousSecret: Bool) throws {
        switch (self, command) {
        case (_, .resume), (_, .confirmDeployed):
            return
        case (.waitingForPerson(let row), _):
            if command == .retireNow, BrokenEngine.on(.retireNowWhileWaiting) { return }
            if command == .abandon, BrokenEngine.on(.abandonWhileWaiting) { return }
            let what = row.kind == .rollback ? "the rollback to key \(row.keyID ?? "?")" : "key \(row.keyID ?? "?")"
            throw RotationRefusal(
                waitsForPerson: true,
                message: "\(label) waits for a person to put \(what) in place and run `secrets rotate \(label) --confirm-deployed`; \(command.rawValue) is refused until then (nothing was changed)")
        case (.idle, .abandon):
            throw RotationRefusal(waitsForPerson: false, message: "\(label) has no unfinished rotation to abandon (nothing was changed)")
        case (.rollbackUnfinished(let row), .abandon):
            throw RotationRefusal(
                waitsForPerson: false,
                message: "\(label) has an unfinished rollback (\(row.rotationID)) that consumers may already follow; `secrets rotate \(label)` finishes it; --abandon is refused (nothing was changed)")
        case (.rotationUnfinished, .abandon) where !keepsPreviousSecret:
            throw RotationRefusal(
                waitsForPerson: false,
                message: "the issuer of \(label) invalidated the old secret when it made the new one, so delivering the new one is the only way forward: fix the consumer and run `secrets rotate \(label)`; --abandon is refused (nothing was changed)")
        case (.rotationUnfinished(let row), .rollback), (.rollbackUnfinished(let row), .rollback), (.retirementUnfinished(let row), .rollback):
            throw RotationRefusal(
                waitsForPerson: false,
                message: "\(label) has an unfinished \(row.kind.rawValue) (\(row.rotationID)); run `secrets rotate \(label)` first; rollback is refused (nothing was changed)")
        default:
            return
        }
    }
}

/// A person's command that the app's ``RotationState`` does not allow; nothing was changed.
struct RotationRefusal: Error, CustomStringConvertible {
    /// True when the app waits for a person (exit 75); false when the command cannot apply (exit 1).
    let waitsForPerson: Bool
    let message: String
    var description: String { message }
}

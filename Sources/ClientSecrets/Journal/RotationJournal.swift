import Foundation

/// One row of the rotation journal: where a rotation, a retirement or a rollback of one app got to.
///
/// The engine writes the row before each step acts and again after it, so after a crash
/// `secrets rotate` knows exactly which step to repeat. Every step is idempotent, which is what
/// makes repeating one safe.
public struct RotationJournal: Sendable, Hashable {
    /// What the journal row tracks.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// create → deploy → verify → promote (or abort).
        case rotate
        /// Remove a `previous` secret at the issuer and wipe its value.
        case retire
        /// Make the previous secret current again and redeploy it.
        case rollback
    }

    /// The step the row is at.
    public enum Step: String, Sendable, Hashable, Codable {
        /// Ask the issuer for a new secret (the display name carries the rotation id).
        case create
        /// Hand the new secret to every consumer.
        case deploy
        /// Prove the new secret works at the issuer and at the consumers.
        case verify
        /// Make the new secret current and the old one previous.
        case promote
        /// Undo a failed rotation: redeploy the old secret, remove the new one at the issuer.
        case abort
        /// Remove a previous secret at the issuer.
        case retire
        /// Redeploy the previous secret and make it current again.
        case rollback
        /// The new secret is current, but a consumer needs a person to apply it (no apply
        /// command): the previous secret is not retired until they confirm.
        case confirm
        /// Nothing left to do.
        case closed
    }

    /// Whether the step has begun, ended, or failed and waits for the next run.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Written before the step acts.
        case started
        /// Written after the step succeeded.
        case finished
        /// The step failed; the next `rotate` decides whether to retry or undo it.
        case failed
    }

    /// The journal row's id.
    public let id: RecordID
    /// The app's row.
    public let appRecordID: RecordID
    /// What the row tracks.
    public let kind: Kind
    /// The step it is at.
    public var step: Step
    /// How far that step got.
    public var status: Status
    /// The rotation id carried in the new secret's display name (`secrets:<rotation id>`).
    public let rotationID: String
    /// When the new secret is to expire (rotations only).
    public var expires: Date?
    /// The key id of the secret this row creates, retires or rolls back to.
    public var keyID: String?
    /// The key id of the secret that was current when the row was started.
    public var previousKeyID: String?
    /// Why the last attempt failed, if it did; never holds a secret.
    public var lastError: String?
    /// When the row was started.
    public let started: Date
    /// When it last changed.
    public var updated: Date
    /// How many times the row was written; an update must name the revision it read, so two
    /// processes can never both advance the same rotation.
    public var revision: Int64 = 0

    /// The display name the issuer records for a secret this rotation creates.
    public var displayName: String { "\(Self.displayNamePrefix)\(rotationID)" }

    /// What the display name of every secret a rotation creates starts with.
    public static let displayNamePrefix = "secrets:"

    /// The display name of a secret rotation `rotationID` creates: the marker
    /// `secrets:<rotation id>`, then, when the app has one, a space and its description.
    public static func displayName(rotationID: String, description: String?) -> String {
        let marker = displayNamePrefix + rotationID
        guard let description, !description.isEmpty else { return marker }
        return marker + " " + description
    }

    /// The rotation id a display name is marked with, or `nil` when it carries no marker.
    ///
    /// The marker must open the name and end at its end or at a space: a description (anyone's
    /// text) that quotes another rotation's marker, or a name that merely contains one, never
    /// makes a secret pass for that rotation's, which the orphan sweeps would remove.
    public static func rotationID(inDisplayName name: String) -> String? {
        guard name.hasPrefix(displayNamePrefix) else { return nil }
        let id = name.dropFirst(displayNamePrefix.count).prefix { $0 != " " }
        return id.isEmpty ? nil : String(id)
    }

    /// Whether a later `rotate` still has something to do for this row.
    public var isOpen: Bool { step != .closed }

    package init(
        id: RecordID, appRecordID: RecordID, kind: Kind, step: Step, status: Status, rotationID: String,
        expires: Date? = nil, keyID: String? = nil, previousKeyID: String? = nil, lastError: String? = nil, started: Date, updated: Date
    ) {
        self.id = id
        self.appRecordID = appRecordID
        self.kind = kind
        self.step = step
        self.status = status
        self.rotationID = rotationID
        self.expires = expires
        self.keyID = keyID
        self.previousKeyID = previousKeyID
        self.lastError = lastError
        self.started = started
        self.updated = updated
    }

    /// The sealed part of a row: what identifies secrets or could say why something failed.
    struct Sealed: Codable {
        var rotationID: String
        var expires: Date?
        var keyID: String?
        var previousKeyID: String?
        var lastError: String?
        var awaitsPerson: Bool?
        var personConsumers: [Int]?
    }

    /// Set when a consumer's deploy needs a person: promote then waits at ``Step/confirm``.
    public var awaitsPerson = false

    /// The consumers (indexes in the app's order) whose deploy needed a person: verify does not
    /// check them (nobody has entered the new secret yet); the person's confirmation does.
    public var personConsumers: [Int] = []

    var sealed: Sealed {
        Sealed(
            rotationID: rotationID, expires: expires, keyID: keyID, previousKeyID: previousKeyID, lastError: lastError,
            awaitsPerson: awaitsPerson ? true : nil, personConsumers: personConsumers.isEmpty ? nil : personConsumers)
    }
}

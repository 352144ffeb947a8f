import ClientSecrets
import CryptoPrimitives
import Foundation

/// Something that uses an app's secret: deploy hands it the new one, verify proves it works there.
///
/// Both methods must be safe to repeat: a resumed rotation deploys again.
public protocol SecretConsumer: Sendable {
    /// A short description for progress and errors, never holding a secret (for example
    /// `jamf-pro-intune https://example.jamfcloud.com`).
    var summary: String { get }

    /// Hands the consumer the secret in `delivery`.
    ///
    /// Throwing means the consumer did not take the secret and still uses what it had (an apply
    /// command that failed, Jamf Pro refusing the settings on Save): a failed rotation then gives
    /// the old secret back only to the consumers deployed before it.
    func deploy(_ delivery: SecretDelivery) async throws -> ConsumerOutcome

    /// Checks that the consumer works with the secret in `delivery`.
    func verify(_ delivery: SecretDelivery) async throws -> ConsumerOutcome

    /// Whether a ``ConsumerOutcome/needsPerson(_:)`` answer of ``verify(_:)`` means "not verified
    /// yet", so that the app waits for a person (exit 75) before its previous secret may go.
    /// True unless the consumer says otherwise (see `CommandConsumer` (module `Hooks`)).
    var unverifiedWaitsForPerson: Bool { get }
}

extension SecretConsumer {
    /// A consumer that cannot check the secret yet makes the app wait for a person.
    public var unverifiedWaitsForPerson: Bool { true }
}

/// What a consumer is given: the app, the secret to use and the one it replaces.
public struct SecretDelivery: Sendable {
    /// The app whose secret changes.
    public var app: App
    /// The secret consumers should now use.
    public var credential: Credential
    /// Its value.
    public var value: SecureBytes
    /// The secret it replaces, if any, and when that one will be retired.
    public var previous: Credential?
    /// The rotation this belongs to (`nil` for a rollback or a manual redeploy).
    public var rotationID: String?

    /// Creates a delivery.
    public init(app: App, credential: Credential, value: SecureBytes, previous: Credential?, rotationID: String?) {
        self.app = app
        self.credential = credential
        self.value = value
        self.previous = previous
        self.rotationID = rotationID
    }
}

/// What a deploy or verify did.
public enum ConsumerOutcome: Sendable, Hashable {
    /// Done and checked by the program; the text says what was done.
    case done(String)
    /// The program cannot do or check this itself; the text tells a person what to do.
    case needsPerson(String)

    /// The text, whichever case.
    public var message: String {
        switch self {
        case .done(let text), .needsPerson(let text): return text
        }
    }
}

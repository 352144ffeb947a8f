import ClientSecrets
import CryptoPrimitives
import Foundation

/// Creates and removes an app's secrets where they are valid: Entra ID through Microsoft Graph,
/// the Jamf Pro API, or a person at a portal.
///
/// One issuer value serves one app: whoever builds it (see ``RotationEngine``) has already
/// resolved the credentials it authenticates with, such as the rotator app's secret.
/// Every method must be safe to call again after a crash or a failure: removing a secret that is
/// already gone succeeds, and ``secrets(markedWith:)`` lets a resumed rotation find a secret it
/// created but never stored.
public protocol Issuer: Sendable {
    /// Whether the previous secret keeps working once a new one exists. Entra ID: yes (the
    /// overlap); a Jamf Pro API client: no, the old secret dies the moment a new one is made.
    var keepsPreviousSecret: Bool { get }

    /// Creates a secret named `request.displayName` that ends at `request.expires`.
    ///
    /// The returned value exists nowhere else (Graph returns `secretText` once): the caller stores
    /// it before doing anything else.
    func createSecret(_ request: SecretRequest) async throws -> IssuedSecret

    /// Removes the secret `keyID`; succeeds when it is already gone.
    func removeSecret(keyID: String) async throws

    /// Removes the secret `keyID` like ``removeSecret(keyID:)`` and says what the issuer did, so
    /// that nobody is told a key was removed at the issuer when the issuer never held it.
    /// The default answers ``SecretRemoval/removed`` after ``removeSecret(keyID:)``.
    func removeSecretReporting(keyID: String) async throws -> SecretRemoval

    /// The secrets at the issuer whose display name contains `marker` (a rotation id), so that a
    /// resumed rotation can remove one it created but never stored. Issuers that cannot list
    /// return an empty array.
    func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo]

    /// Proves that `secret` works at the issuer (for Entra ID, a token request), retrying through
    /// the seconds a new secret takes to replicate. Returns what was checked, for the log.
    func verify(keyID: String, value: SecureBytes) async throws -> String
}

/// What removing a secret at the issuer found.
public enum SecretRemoval: Sendable, Hashable {
    /// The issuer held the secret and removed it.
    case removed
    /// The issuer did not hold it (a key id typed by hand, or one removed elsewhere): nothing was
    /// removed there.
    case notHeld
    /// A person removed it in a portal and confirmed so (the manual issuer).
    case removedByPerson

    /// How the vault's history and the notes word it.
    public var wording: String {
        switch self {
        case .removed: return "removed at the issuer"
        case .notHeld: return "not held by the issuer (nothing removed there); marked retired"
        case .removedByPerson: return "removed in the portal, as a person confirmed"
        }
    }
}

extension Issuer {
    /// Removes the secret and answers ``SecretRemoval/removed``: for issuers that cannot tell.
    public func removeSecretReporting(keyID: String) async throws -> SecretRemoval {
        try await removeSecret(keyID: keyID)
        return .removed
    }
}

/// What to create.
public struct SecretRequest: Sendable, Hashable {
    /// The display name, which carries the rotation id (`secrets:<rotation-id>`).
    public var displayName: String
    /// When the new secret stops working, from the app's policy.
    public var expires: Date

    /// Creates a request.
    public init(displayName: String, expires: Date) {
        self.displayName = displayName
        self.expires = expires
    }
}

/// What the issuer says about a secret it holds (never its value).
public struct IssuedSecretInfo: Sendable, Hashable {
    /// The issuer's key id.
    public var keyID: String
    /// Its display name.
    public var displayName: String?
    /// When it stops working.
    public var expires: Date?

    /// Creates the description of a secret.
    public init(keyID: String, displayName: String?, expires: Date?) {
        self.keyID = keyID.lowercased()
        self.displayName = displayName
        self.expires = expires
    }
}

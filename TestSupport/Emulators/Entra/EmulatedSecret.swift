import Foundation

/// A client secret held by the emulator, value included (it is an emulator).
public struct EmulatedSecret: Sendable, Hashable {
    /// The key id (a lowercase GUID).
    public var keyID: String
    /// The display name given when it was created.
    public var displayName: String?
    /// The first three characters of the value, as Graph reports them.
    public var hint: String
    /// The secret value.
    public var value: String
    /// When it starts to be valid (`startDateTime`).
    public var start: Date
    /// When it stops being valid (`endDateTime`).
    public var end: Date
    /// When it was created.
    public var created: Date
    /// When token requests with it start to succeed (creation plus the replication delay that
    /// applied then; the distant past for a secret seeded as replicated).
    public var usableFrom: Date
    /// The last token request made with it (what Graph's credential sign-in report shows), if any.
    public var lastSignIn: Date? = nil
    /// Graph's `customKeyIdentifier`: set for the password of a token-signing certificate's
    /// private key (the certificate's thumbprint), `nil` for a client secret.
    public var customKeyIdentifier: [UInt8]? = nil
}

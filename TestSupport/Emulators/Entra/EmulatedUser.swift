/// A user who owns an application in the emulated tenant (only what Graph's `owners` lists).
public struct EmulatedUser: Sendable, Hashable {
    /// The user's object id.
    public var objectID: String
    /// The sign-in name, such as `ada@contoso.com`.
    public var userPrincipalName: String
    /// The display name.
    public var displayName: String
}

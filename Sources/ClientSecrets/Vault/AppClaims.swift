import Foundation

/// Lets several hosts rotate one vault at once without two of them working on the same app: a
/// host works on an app only while it holds that app's claim.
///
/// A vault on PostgreSQL hands these out (``VaultLock/appClaims``): `secrets rotate` holds the
/// vault's lock shared, so the rotations of several hosts run side by side while `rekey`, `app
/// remove` and the other commands that hold it alone still wait for all of them, and each app is
/// claimed with a session advisory lock of its own, which the server drops when the holder's
/// connection ends. A vault in a file is one host's: its lock is exclusive and it has no claims.
public protocol AppClaims: Sendable {
    /// Claims the app whose record is `app` if nobody holds it: `true` when this process now
    /// holds it, `false` when another does.
    func tryClaim(_ app: RecordID) throws -> Bool

    /// Gives back a claim taken with ``tryClaim(_:)``.
    func release(_ app: RecordID)
}

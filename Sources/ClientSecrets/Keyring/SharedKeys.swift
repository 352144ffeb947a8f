import Age
import CryptoPrimitives
import Foundation

/// The data keys of one opened vault, shared by every copy of its ``Vault`` value, and what
/// is needed to follow a rekey made by another process while this one works.
///
/// A `Vault` is a value that a rotation copies into every step; a rekey by another process
/// (an older `secrets` that does not take ``VaultLock``, or an embedder) replaces the keys under
/// all those copies at once. Each read and write transaction compares the vault's key
/// generation with the one held here and, when it moved on, unwraps the new keys from this
/// identity's keyring entry, checks that the new authority key was endorsed by the one this
/// process trusts, and swaps them in for every copy: the work goes on, and a secret in flight
/// is stored under the new keys rather than failing as "tampered".
final class SharedKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var current: DataKeys
    private var trusted: Ed25519.PublicKey?
    /// The identities that unlocked the vault; empty for a vault just created or rekeyed by a
    /// caller that did not give them, which then cannot follow another process's rekey.
    let identities: [X25519Identity]

    init(_ keys: DataKeys, identities: [X25519Identity], authority: Ed25519.PublicKey?) {
        current = keys
        trusted = authority
        self.identities = identities
    }

    /// The keys to use now.
    var keys: DataKeys { lock.withLock { current } }

    /// The authority key this process trusts for ``keys``' generation; `nil` until opening the
    /// vault anchored it, and until then no rekey is followed (opening checks the keys itself).
    var authority: Ed25519.PublicKey? { lock.withLock { trusted } }

    /// Records the authority key that opening the vault anchored (for a reader, which cannot
    /// derive it).
    func anchor(_ authority: Ed25519.PublicKey) {
        lock.withLock { trusted = authority }
    }

    /// Replaces the keys after a rekey by another process, unless another thread already did.
    func replace(_ keys: DataKeys, authority: Ed25519.PublicKey) {
        lock.withLock {
            guard keys.generation > current.generation else { return }
            current = keys
            trusted = authority
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Age
import CryptoPrimitives
import Foundation

/// Loading and writing the identity file that unlocks a vault.
public enum VaultIdentity {
    /// Reads the identity file at `path`, refusing one that group or others can read (as ssh
    /// does), and asking `passphrase` only if it is passphrase-protected.
    ///
    /// - Throws: ``VaultError/identityNotFound(path:)``, ``VaultError/identityTooOpen(path:mode:)``,
    ///   or ``VaultError/cannotUnlock(reason:)`` for a wrong passphrase or an unreadable file.
    public static func load(path: String, passphrase: () throws -> SecureBytes) throws -> [X25519Identity] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { throw VaultError.identityNotFound(path: path) }
            throw VaultError.cannotUnlock(reason: "cannot read identity file \(path): \(String(cString: strerror(errno)))")
        }
        if (status.st_mode & S_IFMT) == S_IFREG, status.st_mode & 0o077 != 0 {
            throw VaultError.identityTooOpen(path: path, mode: UInt32(status.st_mode))
        }
        do {
            return try IdentityFile.load(path: path, passphrase: passphrase)
        } catch AgeError.incorrectPassphrase {
            throw VaultError.cannotUnlock(reason: "wrong passphrase for identity file \(path)")
        } catch let error as AgeError {
            throw VaultError.cannotUnlock(reason: "identity file \(path): \(error)")
        }
    }

    /// Whether the identity file at `path` is passphrase-protected (an age file).
    public static func isPassphraseProtected(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 32)) ?? Data()
        return head.starts(with: Array("age-encryption.org/v1".utf8))
    }

    /// Writes a new identity file 0600 (in a 0700 directory), encrypted with `passphrase` when
    /// one is given. Refuses to overwrite an existing file.
    public static func create(_ identity: X25519Identity, at path: String, passphrase: SecureBytes?, now: Date = Date()) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try VaultFile.createPrivateDirectory(directory) }
        do {
            try IdentityFile.write(identity, to: path, created: DateParser.format(now), passphrase: passphrase)
        } catch AgeError.io(let reason) {
            if FileManager.default.fileExists(atPath: path) {
                throw VaultError.recipientProblem(reason: "identity file \(path) already exists; pass --identity to write a new one elsewhere")
            }
            throw VaultError.storage(reason: reason)
        }
    }

    /// Re-encrypts the identity file at `path` under a new passphrase (or none), replacing it
    /// atomically. The identity, and so the vault, is unchanged.
    public static func changePassphrase(path: String, identities: [X25519Identity], to passphrase: SecureBytes?, now: Date = Date()) throws {
        guard let identity = identities.first else { throw VaultError.cannotUnlock(reason: "the identity file holds no identity") }
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        try IdentityFile.write(identity, to: temporary, created: DateParser.format(now), passphrase: passphrase)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VaultError.storage(reason: "cannot replace \(path): \(reason)")
        }
    }
}

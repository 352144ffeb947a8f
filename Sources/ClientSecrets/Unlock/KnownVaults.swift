#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The vaults an identity has opened, each with the fingerprint of its authority key and the
/// path it was last opened at, kept in a file beside the identity as ssh keeps `known_hosts`.
///
/// A vault's file can be written by anyone who can write its directory, and age files can be
/// encrypted to anyone's public key, so nothing inside the file can prove which keys are the
/// vault's. The pin can: it lives with the identity, outside the vault, and is set the first
/// time the identity opens the vault (or from the fingerprint `secrets recipients add` printed).
/// A later rekey moves the pin only along a chain of authority keys each endorsed by the one
/// before (``Vault/open(at:identities:actor:trust:)``). The path is kept so that a file
/// replaced by a different vault (a new vault id, hence no pin of its own) is not mistaken for
/// a first use.
///
/// The file holds one line per vault: `<vault id> <fingerprint> <path>`, the path being the
/// rest of the line; `#` starts a comment.
public struct KnownVaults: Sendable {
    /// One vault's pin.
    public struct Pin: Sendable, Equatable {
        /// The fingerprint of the vault's authority key (``Vault/fingerprint()``).
        public var fingerprint: String
        /// The canonical path the vault was last opened at, when known.
        public var path: String?
    }

    /// The pin file's path.
    public let path: String

    /// A pin file at `path`; nothing is read or written until asked.
    public init(path: String) {
        self.path = path
    }

    /// The pin file beside an identity file: `known_vaults` in the same directory.
    public static func beside(identityPath: String) -> KnownVaults {
        let directory = (identityPath as NSString).deletingLastPathComponent
        return KnownVaults(path: directory.isEmpty ? "known_vaults" : directory + "/known_vaults")
    }

    /// The fingerprint pinned for `vaultID`, or `nil` when this identity has never opened it.
    public func fingerprint(for vaultID: String) throws -> String? {
        try entries()[vaultID.lowercased()]?.fingerprint
    }

    /// The vault last pinned at `vaultPath` (canonicalised), with its pin, if any.
    public func vault(at vaultPath: String) throws -> (vaultID: String, pin: Pin)? {
        let canonical = Self.canonical(vaultPath)
        return try entries().first { $0.value.path == canonical }.map { ($0.key, $0.value) }
    }

    /// Pins `fingerprint` for `vaultID`, replacing any earlier pin for that vault, and, when
    /// `vaultPath` is given, any pin of another vault at that path; written atomically, mode 0600.
    public func pin(vaultID: String, fingerprint: String, vaultPath: String? = nil) throws {
        var pins = try entries()
        let id = vaultID.lowercased()
        let canonical = vaultPath.map(Self.canonical) ?? pins[id]?.path
        if let canonical {
            for (other, pin) in pins where other != id && pin.path == canonical { pins[other]?.path = nil }
        }
        pins[id] = Pin(fingerprint: fingerprint, path: canonical)
        try store(pins)
    }

    /// `path` with symbolic links and `.`/`..` resolved when it exists, else as given.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func store(_ pins: [String: Pin]) throws {
        let text = "# Vaults this identity has opened: vault id, fingerprint of its authority key, path (see `secrets fingerprint`).\n"
            + pins.keys.sorted().map { id in
                let pin = pins[id]!
                return "\(id) \(pin.fingerprint)" + (pin.path.map { " " + $0 } ?? "") + "\n"
            }.joined()
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw VaultError.storage(reason: "cannot write the vault pin file \(temporary): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VaultError.storage(reason: "cannot write the vault pin file \(path): \(reason)")
        }
    }

    private func entries() throws -> [String: Pin] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw VaultError.storage(reason: "cannot read the vault pin file \(path)")
            }
            return [:]
        }
        var pins: [String: Pin] = [:]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            guard fields.count >= 2 else {
                throw VaultError.storage(reason: "the vault pin file \(path) has a malformed line; fix or remove it")
            }
            pins[String(first).lowercased()] = Pin(fingerprint: String(fields[1]), path: fields.count == 3 ? String(fields[2]) : nil)
        }
        return pins
    }
}

/// How ``Vault/open(at:identities:actor:trust:)`` anchors the vault's authority key outside the
/// file.
public struct VaultTrust: Sendable {
    /// Where pins are kept; `nil` checks nothing against a pin (the caller may compare
    /// ``Vault/fingerprint`` itself).
    public var knownVaults: KnownVaults?
    /// On first use (no pin yet), the fingerprint the vault must have, as given out of band
    /// (`secrets recipients add` prints it); `nil` trusts the first use.
    public var expectedFingerprint: String?

    /// Checks and keeps pins in `knownVaults`.
    public init(knownVaults: KnownVaults?, expectedFingerprint: String? = nil) {
        self.knownVaults = knownVaults
        self.expectedFingerprint = expectedFingerprint
    }

    /// No pin: the authority key is only checked against the keys the identity unwrapped.
    public static let unpinned = VaultTrust(knownVaults: nil)
}

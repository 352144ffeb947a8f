/// Everything that can go wrong with a vault, named so that a person knows what happened and
/// what to do: a ``code`` to act on, the one-line ``description``, and, where a caller needs
/// them, the values the message names (``field``, ``path``, ``actions``, …). Messages never
/// contain a secret value or key material.
///
/// A struct with a code, not an enum, so that a new kind of error does not break the exhaustive
/// switches of programs that embed the library. Create one with the static functions named
/// after the codes, such as ``invalidValue(field:reason:)``.

public struct VaultError: Error, Sendable, Hashable {
    /// What kind of error it is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: String, Sendable, Hashable {
            case vaultNotFound = "vault-not-found"
            case vaultExists = "vault-exists"
            case notAVault = "not-a-vault"
            case identityNotFound = "identity-not-found"
            case identityTooOpen = "identity-too-open"
            case identityNotPrivate = "identity-not-private"
            case cannotUnlock = "cannot-unlock"
            case notAuthorized = "not-authorized"
            case tampered = "tampered"
            case integrityMismatch = "integrity-mismatch"
            case untrusted = "untrusted"
            case invalidValue = "invalid-value"
            case appNotFound = "app-not-found"
            case appExists = "app-exists"
            case credentialNotFound = "credential-not-found"
            case noSecretValue = "no-secret-value"
            case credentialExists = "credential-exists"
            case importConflicts = "import-conflicts"
            case invalidDocument = "invalid-document"
            case importNotTrusted = "import-not-trusted"
            case recipientProblem = "recipient-problem"
            case recipientNotFound = "recipient-not-found"
            case storage = "storage"
            case busy = "busy"
            case lockNotPrivate = "lock-not-private"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code's name, such as `app-not-found`.
        public var description: String { backing.rawValue }

        /// There is no vault at the path; `secrets init` creates one.
        public static let vaultNotFound = Code(.vaultNotFound)
        /// `init` found a vault (or another file) where it would create one.
        public static let vaultExists = Code(.vaultExists)
        /// The file is not a vault of this program, or of a newer format version.
        public static let notAVault = Code(.notAVault)
        /// No identity file at the path.
        public static let identityNotFound = Code(.identityNotFound)
        /// The identity file can be read by group or others, so it is refused (as ssh does).
        public static let identityTooOpen = Code(.identityTooOpen)
        /// The identity file is not a private file of this user: a symbolic link, not a regular file
        /// (a FIFO, a device, a directory), or owned by another user. `problem` says which, and
        /// how to fix it.
        public static let identityNotPrivate = Code(.identityNotPrivate)
        /// None of the identities opens a keyring entry, or the passphrase is wrong.
        public static let cannotUnlock = Code(.cannotUnlock)
        /// The unlocked role may not do this; `reader` identities never hold the secret key.
        public static let notAuthorized = Code(.notAuthorized)
        /// A row failed authentication or does not belong where it is stored.
        public static let tampered = Code(.tampered)
        /// The vault as a whole does not match its integrity digest (a row was added or removed).
        public static let integrityMismatch = Code(.integrityMismatch)
        /// The vault's authority key is not the one this identity pinned, or the keys its keyring
        /// entry holds are not the vault's: someone replaced the file or substituted keys.
        public static let untrusted = Code(.untrusted)
        /// A value given by the caller is not acceptable; `field` names what was wrong.
        public static let invalidValue = Code(.invalidValue)
        /// No app with that label or app ID.
        public static let appNotFound = Code(.appNotFound)
        /// An app with that label or app ID already exists.
        public static let appExists = Code(.appExists)
        /// No credential with that key ID (or no current one) for the app.
        public static let credentialNotFound = Code(.credentialNotFound)
        /// The credential is known (for example, imported from Azure) but its value was never stored.
        public static let noSecretValue = Code(.noSecretValue)
        /// A credential with that key ID already exists for the app.
        public static let credentialExists = Code(.credentialExists)
        /// An import found records that differ from what the vault holds; nothing was changed.
        public static let importConflicts = Code(.importConflicts)
        /// An import or export document could not be read.
        public static let invalidDocument = Code(.invalidDocument)
        /// An import document asks for more trust than the import was given, so nothing was
        /// imported: it comes from the vault `otherVaultID` (as the document claims; `nil` when that
        /// was allowed or it is this vault's), or it carries `actions` (empty when allowed). See ``ImportTrust``.
        public static let importNotTrusted = Code(.importNotTrusted)
        /// The recipient cannot be added or removed as asked.
        public static let recipientProblem = Code(.recipientProblem)
        /// No recipient of this vault has that public key.
        public static let recipientNotFound = Code(.recipientNotFound)
        /// The vault file could not be read or written.
        public static let storage = Code(.storage)
        /// Another process is changing the vault in a way this command must not overlap (it holds
        /// the vault's lock, or replaced the data keys or removed an app under this one); nothing
        /// half-done was left. `reason` says what and when to run the command again.
        public static let busy = Code(.busy)
        /// The vault's lock file, or the directory holding the vault, could be used by another
        /// user: a symbolic link, not a regular file, owned by another user, writable by group or
        /// others, or a directory others can write to. `problem` says which, and how to fix it.
        public static let lockNotPrivate = Code(.lockNotPrivate)
    }

    /// What kind of error it is.
    public let code: Code
    /// What the message names, by kind.
    package let detail: Detail

    package init(_ detail: Detail) {
        self.detail = detail
        self.code = detail.code
    }
}

extension VaultError {
    /// The values each kind of error names, for its message and for callers that act on them.
    package enum Detail: Sendable, Hashable {
        /// There is no vault at the path; `secrets init` creates one.
        case vaultNotFound(path: String)
        /// `init` found a vault (or another file) where it would create one.
        case vaultExists(path: String)
        /// The file is not a vault of this program, or of a newer format version.
        case notAVault(path: String, reason: String)
        /// No identity file at the path.
        case identityNotFound(path: String)
        /// The identity file can be read by group or others, so it is refused (as ssh does).
        case identityTooOpen(path: String, mode: UInt32)
        /// The identity file is not a private file of this user: a symbolic link, not a regular file
        /// (a FIFO, a device, a directory), or owned by another user. `problem` says which, and
        /// how to fix it.
        case identityNotPrivate(path: String, problem: String)
        /// None of the identities opens a keyring entry, or the passphrase is wrong.
        case cannotUnlock(reason: String)
        /// The unlocked role may not do this; `reader` identities never hold the secret key.
        case notAuthorized(reason: String)
        /// A row failed authentication or does not belong where it is stored.
        case tampered(table: String, row: String, reason: String)
        /// The vault as a whole does not match its integrity digest (a row was added or removed).
        case integrityMismatch(reason: String)
        /// The vault's authority key is not the one this identity pinned, or the keys its keyring
        /// entry holds are not the vault's: someone replaced the file or substituted keys.
        case untrusted(reason: String)
        /// A value given by the caller is not acceptable; `field` names what was wrong.
        case invalidValue(field: String, reason: String)
        /// No app with that label or app ID.
        case appNotFound(String)
        /// An app with that label or app ID already exists.
        case appExists(String)
        /// No credential with that key ID (or no current one) for the app.
        case credentialNotFound(app: String, keyID: String?)
        /// The credential is known (for example, imported from Azure) but its value was never stored.
        case noSecretValue(app: String, keyID: String)
        /// A credential with that key ID already exists for the app.
        case credentialExists(app: String, keyID: String)
        /// An import found records that differ from what the vault holds; nothing was changed.
        case importConflicts([String])
        /// An import or export document could not be read.
        case invalidDocument(reason: String)
        /// An import document asks for more trust than the import was given, so nothing was
        /// imported: it comes from the vault `otherVaultID` (as the document claims; `nil` when that
        /// was allowed or it is this vault's), or it carries `actions` (empty when allowed). See ``ImportTrust``.
        case importNotTrusted(otherVaultID: String?, actions: [AppAction])
        /// The recipient cannot be added or removed as asked.
        case recipientProblem(reason: String)
        /// No recipient of this vault has that public key.
        case recipientNotFound(String)
        /// The vault file could not be read or written.
        case storage(reason: String)
        /// Another process is changing the vault in a way this command must not overlap (it holds
        /// the vault's lock, or replaced the data keys or removed an app under this one); nothing
        /// half-done was left. `reason` says what and when to run the command again.
        case busy(reason: String)
        /// The vault's lock file, or the directory holding the vault, could be used by another
        /// user: a symbolic link, not a regular file, owned by another user, writable by group or
        /// others, or a directory others can write to. `problem` says which, and how to fix it.
        case lockNotPrivate(path: String, problem: String)

        var code: Code {
            switch self {
            case .vaultNotFound: return .vaultNotFound
            case .vaultExists: return .vaultExists
            case .notAVault: return .notAVault
            case .identityNotFound: return .identityNotFound
            case .identityTooOpen: return .identityTooOpen
            case .identityNotPrivate: return .identityNotPrivate
            case .cannotUnlock: return .cannotUnlock
            case .notAuthorized: return .notAuthorized
            case .tampered: return .tampered
            case .integrityMismatch: return .integrityMismatch
            case .untrusted: return .untrusted
            case .invalidValue: return .invalidValue
            case .appNotFound: return .appNotFound
            case .appExists: return .appExists
            case .credentialNotFound: return .credentialNotFound
            case .noSecretValue: return .noSecretValue
            case .credentialExists: return .credentialExists
            case .importConflicts: return .importConflicts
            case .invalidDocument: return .invalidDocument
            case .importNotTrusted: return .importNotTrusted
            case .recipientProblem: return .recipientProblem
            case .recipientNotFound: return .recipientNotFound
            case .storage: return .storage
            case .busy: return .busy
            case .lockNotPrivate: return .lockNotPrivate
            }
        }
    }

    /// There is no vault at the path; `secrets init` creates one.
    public static func vaultNotFound(path: String) -> VaultError { VaultError(.vaultNotFound(path: path)) }
    /// `init` found a vault (or another file) where it would create one.
    public static func vaultExists(path: String) -> VaultError { VaultError(.vaultExists(path: path)) }
    /// The file is not a vault of this program, or of a newer format version.
    public static func notAVault(path: String, reason: String) -> VaultError { VaultError(.notAVault(path: path, reason: reason)) }
    /// No identity file at the path.
    public static func identityNotFound(path: String) -> VaultError { VaultError(.identityNotFound(path: path)) }
    /// The identity file can be read by group or others, so it is refused (as ssh does).
    public static func identityTooOpen(path: String, mode: UInt32) -> VaultError { VaultError(.identityTooOpen(path: path, mode: mode)) }
    /// The identity file is not a private file of this user: a symbolic link, not a regular file
    /// (a FIFO, a device, a directory), or owned by another user. `problem` says which, and
    /// how to fix it.
    public static func identityNotPrivate(path: String, problem: String) -> VaultError { VaultError(.identityNotPrivate(path: path, problem: problem)) }
    /// None of the identities opens a keyring entry, or the passphrase is wrong.
    public static func cannotUnlock(reason: String) -> VaultError { VaultError(.cannotUnlock(reason: reason)) }
    /// The unlocked role may not do this; `reader` identities never hold the secret key.
    public static func notAuthorized(reason: String) -> VaultError { VaultError(.notAuthorized(reason: reason)) }
    /// A row failed authentication or does not belong where it is stored.
    public static func tampered(table: String, row: String, reason: String) -> VaultError { VaultError(.tampered(table: table, row: row, reason: reason)) }
    /// The vault as a whole does not match its integrity digest (a row was added or removed).
    public static func integrityMismatch(reason: String) -> VaultError { VaultError(.integrityMismatch(reason: reason)) }
    /// The vault's authority key is not the one this identity pinned, or the keys its keyring
    /// entry holds are not the vault's: someone replaced the file or substituted keys.
    public static func untrusted(reason: String) -> VaultError { VaultError(.untrusted(reason: reason)) }
    /// A value given by the caller is not acceptable; `field` names what was wrong.
    public static func invalidValue(field: String, reason: String) -> VaultError { VaultError(.invalidValue(field: field, reason: reason)) }
    /// No app with that label or app ID.
    public static func appNotFound(_ name: String) -> VaultError { VaultError(.appNotFound(name)) }
    /// An app with that label or app ID already exists.
    public static func appExists(_ name: String) -> VaultError { VaultError(.appExists(name)) }
    /// No credential with that key ID (or no current one) for the app.
    public static func credentialNotFound(app: String, keyID: String?) -> VaultError { VaultError(.credentialNotFound(app: app, keyID: keyID)) }
    /// The credential is known (for example, imported from Azure) but its value was never stored.
    public static func noSecretValue(app: String, keyID: String) -> VaultError { VaultError(.noSecretValue(app: app, keyID: keyID)) }
    /// A credential with that key ID already exists for the app.
    public static func credentialExists(app: String, keyID: String) -> VaultError { VaultError(.credentialExists(app: app, keyID: keyID)) }
    /// An import found records that differ from what the vault holds; nothing was changed.
    public static func importConflicts(_ conflicts: [String]) -> VaultError { VaultError(.importConflicts(conflicts)) }
    /// An import or export document could not be read.
    public static func invalidDocument(reason: String) -> VaultError { VaultError(.invalidDocument(reason: reason)) }
    /// An import document asks for more trust than the import was given, so nothing was
    /// imported: it comes from the vault `otherVaultID` (as the document claims; `nil` when that
    /// was allowed or it is this vault's), or it carries `actions` (empty when allowed). See ``ImportTrust``.
    public static func importNotTrusted(otherVaultID: String?, actions: [AppAction]) -> VaultError { VaultError(.importNotTrusted(otherVaultID: otherVaultID, actions: actions)) }
    /// The recipient cannot be added or removed as asked.
    public static func recipientProblem(reason: String) -> VaultError { VaultError(.recipientProblem(reason: reason)) }
    /// No recipient of this vault has that public key.
    public static func recipientNotFound(_ recipient: String) -> VaultError { VaultError(.recipientNotFound(recipient)) }
    /// The vault file could not be read or written.
    public static func storage(reason: String) -> VaultError { VaultError(.storage(reason: reason)) }
    /// Another process is changing the vault in a way this command must not overlap (it holds
    /// the vault's lock, or replaced the data keys or removed an app under this one); nothing
    /// half-done was left. `reason` says what and when to run the command again.
    public static func busy(reason: String) -> VaultError { VaultError(.busy(reason: reason)) }
    /// The vault's lock file, or the directory holding the vault, could be used by another
    /// user: a symbolic link, not a regular file, owned by another user, writable by group or
    /// others, or a directory others can write to. `problem` says which, and how to fix it.
    public static func lockNotPrivate(path: String, problem: String) -> VaultError { VaultError(.lockNotPrivate(path: path, problem: problem)) }
}

extension VaultError {
    /// The one-line message (``description``).
    public var reason: String { description }

    /// The field or flag an ``Code/invalidValue`` names, such as `expires`.
    public var field: String? {
        if case .invalidValue(let field, _) = detail { return field }
        return nil
    }

    /// The file the error is about (a vault, an identity file, a lock file), if it names one.
    public var path: String? {
        switch detail {
        case .vaultNotFound(let path), .vaultExists(let path), .notAVault(let path, _), .identityNotFound(let path),
             .identityTooOpen(let path, _), .identityNotPrivate(let path, _), .lockNotPrivate(let path, _):
            return path
        default:
            return nil
        }
    }

    /// The app settings that made an ``Code/importNotTrusted`` import refuse a document.
    public var actions: [AppAction] {
        if case .importNotTrusted(_, let actions) = detail { return actions }
        return []
    }

    /// The vault an ``Code/importNotTrusted`` document claims to come from, when not this one.
    public var otherVaultID: String? {
        if case .importNotTrusted(let otherVaultID, _) = detail { return otherVaultID }
        return nil
    }

    /// The records an ``Code/importConflicts`` import would have overwritten.
    public var conflicts: [String] {
        if case .importConflicts(let conflicts) = detail { return conflicts }
        return []
    }
}

extension VaultError: CustomStringConvertible {
    /// One line saying what happened and, where there is one, what to do.
    public var description: String {
        switch detail {
        case .vaultNotFound(let path):
            return "no vault at \(path); create one with `secrets init`, or point --vault / SECRETS_VAULT at an existing one"
        case .vaultExists(let path):
            return "\(path) already exists; init never overwrites a vault (choose another --vault, or remove the file yourself)"
        case .notAVault(let path, let reason):
            return "\(path) is not a secrets vault this version can open: \(reason)"
        case .identityNotFound(let path):
            return "no identity file at \(path); pass --identity or set SECRETS_IDENTITY (`secrets init` creates one)"
        case .identityTooOpen(let path, let mode):
            return "identity file \(path) is open to group or others (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(path)`"
        case .identityNotPrivate(let path, let problem):
            return "identity file \(path) \(problem)"
        case .cannotUnlock(let reason):
            return "cannot unlock the vault: \(reason)"
        case .notAuthorized(let reason):
            return "not allowed: \(reason)"
        case .tampered(let table, let row, let reason):
            return "the vault is damaged or was tampered with: \(table) row \(row) \(reason); restore it from an export or backup"
        case .integrityMismatch(let reason):
            return "the vault is damaged or was tampered with: \(reason); restore it from an export or backup"
        case .untrusted(let reason):
            return "the vault cannot be trusted: \(reason)"
        case .invalidValue(let field, let reason):
            return "invalid \(field): \(reason)"
        case .appNotFound(let name):
            return "no app \"\(name)\" in the vault; `secrets list` shows the apps"
        case .appExists(let name):
            return "an app \"\(name)\" already exists; use `secrets app edit` to change it"
        case .credentialNotFound(let app, let keyID):
            if let keyID { return "app \"\(app)\" has no credential with key ID \(keyID); `secrets app show \(app)` lists them" }
            return "app \"\(app)\" has no current credential; add one with `secrets secret add \(app)`"
        case .noSecretValue(let app, let keyID):
            return "the value of credential \(keyID) of app \"\(app)\" was never stored (imported metadata only)"
        case .credentialExists(let app, let keyID):
            return "app \"\(app)\" already has a credential with key ID \(keyID)"
        case .importConflicts(let conflicts):
            let shown = conflicts.prefix(5).joined(separator: "; ")
            let more = conflicts.count > 5 ? " (and \(conflicts.count - 5) more)" : ""
            return "import would overwrite \(conflicts.count) record(s), so nothing was imported: \(shown)\(more); rerun with --skip-conflicts to import the rest"
        case .invalidDocument(let reason):
            return "cannot read the document: \(reason)"
        case .importNotTrusted(let otherVaultID, let actions):
            return Self.describeUntrusted(otherVaultID: otherVaultID, actions: actions)
        case .recipientProblem(let reason):
            return reason
        case .recipientNotFound(let recipient):
            return "\(recipient) is not a recipient of this vault; `secrets recipients list` shows them"
        case .storage(let reason):
            return "vault storage error: \(reason)"
        case .busy(let reason):
            return reason
        case .lockNotPrivate(let path, let problem):
            return "\(path) \(problem)"
        }
    }
}

extension VaultError {
    /// One line: what the document would bring in, that nothing was imported, and the flag(s)
    /// that accept it. Every app and field with an action is named (an admin reviews them all
    /// before allowing any); text from the document is neutralised.
    static func describeUntrusted(otherVaultID: String?, actions: [AppAction]) -> String {
        var problems: [String] = []
        var flags: [String] = []
        if let otherVaultID {
            let shown = AppAction.neutralised(String(otherVaultID.prefix(64)))
            problems.append("the document was exported from another vault (vault ID \"\(shown)\"), not this one")
            flags.append("--from-other-vault")
        }
        if !actions.isEmpty {
            let named = actions.map(\.location).joined(separator: ", ")
            let subject = problems.isEmpty ? "the document carries" : "it carries"
            problems.append(
                "\(subject) \(actions.count) action(s) that would make this vault run commands, call servers or use other apps' secrets: \(named)")
            flags.append("--allow-actions")
        }
        let advice = actions.isEmpty
            ? "if you trust the document's source, re-run with \(flags.joined(separator: " "))"
            : "review these in the document (`age -d` shows it) and, only if you trust every one, re-run with \(flags.joined(separator: " "))"
        return "\(problems.joined(separator: ", and ")); nothing was imported; \(advice)"
    }
}

/// Everything that can go wrong with a vault, named so that a person knows what happened and
/// what to do. Messages never contain a secret value or key material.
public enum VaultError: Error, Sendable, Equatable {
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
}

extension VaultError: CustomStringConvertible {
    /// One line saying what happened and, where there is one, what to do.
    public var description: String {
        switch self {
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

import CryptoPrimitives
import Foundation
import Storage

extension Vault {
    /// The largest secret value accepted, in bytes; Entra ID secrets are 40 characters.
    public static let maximumSecretCount = 4096

    /// A credential's record is bound to its row, its app, its clear state and expiry, and its key-ID hash.
    static func credentialMetaBinding(id: RecordID, app: RecordID, state: String, expiresAt: Int64?, keyIDHash: Data) -> RecordCipher.Binding {
        RecordCipher.Binding(
            table: "credentials", column: "meta", row: id,
            context: [state, expiresAt.map(String.init) ?? "none"], bound: [app.data, keyIDHash])
    }

    static func credentialSecretBinding(id: RecordID, app: RecordID) -> RecordCipher.Binding {
        RecordCipher.Binding(table: "credentials", column: "secret", row: id, bound: [app.data])
    }

    func decodeCredential(_ row: StoredRow, context: AEADContext? = nil) throws -> CredentialRecord {
        let id = RecordID(try row["id"] as Data)
        let app = RecordID(try row["app"] as Data)
        let state: String = try row["state"]
        let expiresAt: Int64? = try row["expires_at"]
        let binding = Self.credentialMetaBinding(id: id, app: app, state: state, expiresAt: expiresAt, keyIDHash: try row["key_id_hash"])
        let credential = try cipher.openRecord(row["meta"], using: context ?? metadataContext(), binding: binding, Credential.init(record:))
        guard credential.state.rawValue == state, credential.expires.map(Self.epochSeconds) == expiresAt else {
            throw VaultError.tampered(table: "credentials", row: id.description, reason: "has clear columns that disagree with its sealed record")
        }
        try authenticate(table: "credentials", row: row)
        return CredentialRecord(id: id, appRecordID: app, credential: credential, hasValue: try Self.hasSecret(row))
    }

    /// Whether the row holds a value; hot paths select `length(secret) IS NOT NULL AS has_secret` instead of the blob.
    static func hasSecret(_ row: StoredRow) throws -> Bool {
        if row.hasColumn("has_secret") { return try row["has_secret"] }
        return !(row["secret"] as StoredValue).isNull
    }

    static func epochSeconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// A credential row's columns without the value (nor its tag, which cannot be checked without it).
    /// `length(secret)`, not `secret IS NOT NULL`: SQLite answers the first from the record
    /// header, but loads the whole value for the second.
    static let credentialColumnsWithoutValue = "id, app, key_id_hash, state, expires_at, created_at, meta, length(secret) IS NOT NULL AS has_secret"

    /// - Parameter withValues: `false` reads no secret column (and checks no row's tag).
    package func credentials(_ db: any StorageTransaction, of app: AppRecord, withValues: Bool = true) throws -> [CredentialRecord] {
        let columns = withValues ? "*" : Self.credentialColumnsWithoutValue
        return try db.rows(sql: "SELECT \(columns) FROM credentials WHERE app = ?", arguments: [app.id.data])
            .map { try decodeCredential($0) }
            .sorted { $0.credential.created > $1.credential.created }
    }

    /// Stores a new secret for the app `name`.
    ///
    /// With `state` `.current` (the default), the app's current credential becomes `previous`,
    /// to be retired once the app's overlap has passed. The value is encrypted with the secret key,
    /// so only an admin identity can do this.
    ///
    /// - Parameters:
    ///   - keyID: the issuer's key ID; a random GUID when `nil`.
    ///   - expires: when the secret stops working; `nil` when it never does.
    @discardableResult
    public func addSecret(
        to name: String, value: SecureBytes, keyID: String? = nil, expires: Date?, validFrom: Date? = nil,
        state: CredentialState = .current, displayName: String? = nil, now: Date = Date()
    ) throws -> CredentialRecord {
        _ = try keys.requireSecretKey()
        guard value.count > 0 else { throw VaultError.invalidValue(field: "secret", reason: "the value is empty") }
        // Blanks alone are a paste gone wrong, never a client secret.
        guard !value.withUnsafeBytes({ $0.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) } }) else {
            throw VaultError.invalidValue(field: "secret", reason: "the value is only blanks")
        }
        if let validFrom, let expires, validFrom >= expires {
            throw VaultError.invalidValue(field: "valid-from", reason: "must be before the expiry (\(DateParser.format(expires)))")
        }
        guard value.count <= Self.maximumSecretCount else {
            throw VaultError.invalidValue(field: "secret", reason: "longer than \(Self.maximumSecretCount) bytes")
        }
        guard state != .retired else { throw VaultError.invalidValue(field: "state", reason: "a new secret cannot be retired") }
        let keyID = (keyID ?? UUID().uuidString).lowercased()
        try Validation.guid(keyID, field: "key-id")
        // Values travel as JSON strings in exports, so they must be text.
        let text: String? = value.withUnsafeBytes { String(validating: $0, as: UTF8.self) }
        guard let text, !text.contains("\u{0}") else {
            throw VaultError.invalidValue(field: "secret", reason: "the value is not UTF-8 text (client secrets are text)")
        }
        let hint = Self.hint(for: text)
        return try write(now: now) { writer in
            // Read again inside the transaction: another process may have rekeyed since (see SharedKeys).
            let secretKey = try keys.requireSecretKey()
            let app = try findApp(writer.db, name)
            let credential = Credential(
                keyID: keyID, hint: String(hint), created: now.wholeSeconds, validFrom: (validFrom ?? now).wholeSeconds,
                expires: expires?.wholeSeconds, state: state, displayName: displayName)
            return try storeCredential(credential, value: value, secretKey: secretKey, for: app, writer: &writer)
        }
    }

    /// The first three characters, as Entra ID shows them, but nothing for values shorter than
    /// 12 characters: readers see hints, and three characters would be too much of a short value.
    static func hint(for value: String) -> String {
        value.count >= 12 ? String(value.prefix(3)) : ""
    }

    /// - Parameter audited: `false` when the caller writes one audit entry for many credentials
    ///   (a tenant sync registering an app with all of its credentials).
    func storeCredential(
        _ credential: Credential, value: SecureBytes?, secretKey: SecureBytes?, for app: AppRecord, audited: Bool = true, writer: inout VaultWriter
    ) throws -> CredentialRecord {
        let keyIDHash = try lookupHash("key-id", credential.keyID)
        if try writer.db.value(Bool.self, sql: "SELECT 1 FROM credentials WHERE app = ? AND key_id_hash = ?", arguments: [app.id.data, keyIDHash]) == true {
            throw VaultError.credentialExists(app: app.app.label, keyID: credential.keyID)
        }
        if credential.state == .current {
            try demoteCurrent(of: app, retireAfter: writer.now.addingTimeInterval(app.app.policy.overlap), writer: &writer)
        }
        let id = try RecordID.random()
        let expiresAt = credential.expires.map(Self.epochSeconds)
        let meta = try cipher.seal(
            credential.record(), key: keys.metadataCipherKey,
            binding: Self.credentialMetaBinding(id: id, app: app.id, state: credential.state.rawValue, expiresAt: expiresAt, keyIDHash: keyIDHash))
        var sealedValue: Data?
        if let value, let secretKey {
            sealedValue = try cipher.seal(value, key: secretKey, binding: Self.credentialSecretBinding(id: id, app: app.id))
        }
        try writer.insert("credentials", [
            ("id", id.data), ("app", app.id.data), ("key_id_hash", keyIDHash), ("state", credential.state.rawValue),
            ("expires_at", expiresAt), ("created_at", Self.epochSeconds(credential.created)), ("meta", meta), ("secret", sealedValue),
        ])
        if audited {
            let expiry = credential.expires.map { "expires \(DateParser.format($0))" } ?? "no expiry"
            try writer.audit(
                value == nil ? AuditAction.secretRegister : .secretAdd, app: app.app.label, appID: app.app.appID, keyID: credential.keyID,
                detail: "\(credential.state.rawValue), \(expiry)")
        }
        return CredentialRecord(id: id, appRecordID: app.id, credential: credential, hasValue: sealedValue != nil)
    }

    /// The app's current credential (at most one) becomes `previous`, to be retired after `retireAfter`.
    func demoteCurrent(of app: AppRecord, retireAfter: Date, writer: inout VaultWriter) throws {
        let rows = try writer.db.rows(sql: "SELECT * FROM credentials WHERE app = ? AND state = 'current'", arguments: [app.id.data])
        for row in rows {
            var old = try decodeCredential(row)
            old.credential.state = .previous
            old.credential.retireAfter = retireAfter.wholeSeconds
            try updateCredentialMeta(id: old.id, app: app.id, credential: old.credential, writer: &writer)
            try writer.audit(.secretDemote, app: app.app.label, appID: app.app.appID, keyID: old.credential.keyID, detail: "current → previous")
        }
    }

    func updateCredentialMeta(id: RecordID, app: RecordID, credential: Credential, writer: inout VaultWriter) throws {
        let expiresAt = credential.expires.map(Self.epochSeconds)
        let meta = try cipher.seal(
            credential.record(), key: keys.metadataCipherKey,
            binding: Self.credentialMetaBinding(
                id: id, app: app, state: credential.state.rawValue, expiresAt: expiresAt, keyIDHash: try lookupHash("key-id", credential.keyID)))
        try writer.update("credentials", id: id, [("state", credential.state.rawValue), ("expires_at", expiresAt), ("meta", meta)])
    }

    /// The value of the app's credential with `keyID`, or of its current credential.
    ///
    /// - Throws: ``VaultError/notAuthorized(reason:)`` for a reader, whose keyring entry has no
    ///   secret key to decrypt with.
    ///   A certificate's value (its private key) is refused here: it leaves the vault only
    ///   through ``exportCertificate(of:keyID:now:)``, ``certificateBundle(of:keyID:)`` (for the
    ///   rotation engine) and ``signingCertificate(of:keyID:)``.
    public func secretValue(of name: String, keyID: String? = nil) throws -> SecureBytes {
        try sealedValue(of: name, keyID: keyID, certificate: false)
    }

    /// The value of a credential of the app `name`: `certificate` says which kind is expected;
    /// the other is refused, so that a private key never goes where a secret is expected.
    func sealedValue(of name: String, keyID: String?, certificate: Bool) throws -> SecureBytes {
        _ = try keys.requireSecretKey()
        return try read { db in
            // Read again inside the transaction: another process may have rekeyed since (see SharedKeys).
            let secretKey = try keys.requireSecretKey()
            let app = try findApp(db, name)
            let row: StoredRow?
            if let keyID {
                row = try db.row(sql: "SELECT * FROM credentials WHERE app = ? AND key_id_hash = ?",
                    arguments: [app.id.data, try lookupHash("key-id", keyID)])
            } else {
                row = try db.row(sql: "SELECT * FROM credentials WHERE app = ? AND state = 'current'", arguments: [app.id.data])
            }
            guard let row else { throw VaultError.credentialNotFound(app: app.app.label, keyID: keyID?.lowercased()) }
            let record = try decodeCredential(row)
            guard (record.credential.kind == .certificate) == certificate else {
                throw VaultError.invalidValue(
                    field: "key-id",
                    reason: certificate ? "\(record.credential.keyID) of \(app.app.label) is a secret, not a certificate"
                        : "\(record.credential.keyID) of \(app.app.label) is a certificate: its private key leaves the vault only through `secrets cert export`")
            }
            guard let sealed = try row["secret"] as Data? else {
                throw VaultError.noSecretValue(app: app.app.label, keyID: record.credential.keyID)
            }
            return try cipher.open(sealed, key: secretKey, binding: Self.credentialSecretBinding(id: record.id, app: app.id))
        }
    }
}

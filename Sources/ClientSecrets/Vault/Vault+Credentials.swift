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

    /// Every credential that is not retired and has expired or expires within `window` of `now`,
    /// soonest first, secrets and certificates alike. Needs only the metadata key, so a reader
    /// can run it.
    ///
    /// This is what monitoring runs, so it reads only the rows in the window (through the expiry
    /// index; a row itself only to tell whether a person-rotated app's value is held), each app's record once, and its columns in place: the associated data of both
    /// records is written from the backend's column buffers (``StorageColumns``) into one reused buffer, in the
    /// layout ``credentialMetaBinding(id:app:state:expiresAt:keyIDHash:)`` and
    /// ``appBinding(_:labelHash:appIDHash:)`` describe, so no `Data`, id or binding is made per
    /// row. Every record is still authenticated with all of its associated data.
    public func expiring(within window: TimeInterval, now: Date = Date()) throws -> [ExpiringCredential] {
        let limit = Self.epochSeconds(now.addingTimeInterval(window))
        return try read { db in
            // The listing touches the expiry index's range and one scattered row per app: mapped,
            // each page is read once and in place (a tenth of the system calls on 10,000 apps).
            try db.mapPages(upTo: Self.listingMapLimit)
            defer { try? db.mapPages(upTo: 0) }
            let context = try metadataContext()
            let vaultID = keys.vaultID
            // Each app once, in an array: the dictionary holds its index, so growing it moves small values.
            var apps: [App] = []
            var appIndex: [AppKey: Int] = [:]
            var aad = RecordCipher.AssociatedDataWriter()
            var result: [ExpiringCredential] = []
            try db.scan(sql: """
                SELECT c.id, c.app, c.state, c.expires_at, c.key_id_hash, c.meta, a.label_hash, a.app_id_hash, a.meta
                FROM credentials c LEFT JOIN apps a ON a.id = c.app
                WHERE c.state <> 'retired' AND c.expires_at IS NOT NULL AND c.expires_at <= ?
                ORDER BY c.expires_at, c.id
                """, arguments: [limit]
            ) { row in
                let id = row.bytes(0)
                let appID = row.bytes(1)
                let state = row.text(2)
                let expiresAt = row.integer(3)
                // credentialMetaBinding: context [state, expiry], bound [app id, key-ID hash], row id.
                aad.begin(vaultID: vaultID, table: "credentials", column: "meta")
                aad.append(state)
                aad.append(String(expiresAt))
                aad.append(appID)
                aad.append(row.bytes(4))
                aad.finish(row: id)
                let credential = try aad.bytes.withUnsafeBytes { associatedData in
                    try RecordCipher.openRecord(
                        row.bytes(5), using: context, associatedData: associatedData, table: "credentials", column: "meta",
                        rowName: { RecordID(bytes: Array(id)).description }, Credential.init(record:))
                }
                guard credential.state.rawValue.utf8.elementsEqual(state), credential.expires.map(Self.epochSeconds) == expiresAt else {
                    throw VaultError.tampered(
                        table: "credentials", row: RecordID(bytes: Array(id)).description,
                        reason: "has clear columns that disagree with its sealed record")
                }
                let key = AppKey(appID)
                let app: App
                if let key, let known = appIndex[key] {
                    app = apps[known]
                } else {
                    // A credential whose app row was deleted: an inner join would drop it silently.
                    guard !row.isNull(8) else {
                        throw VaultError.tampered(
                            table: "credentials", row: RecordID(bytes: Array(id)).description,
                            reason: "belongs to apps row \(RecordID(bytes: Array(appID)).description), which is missing")
                    }
                    // appBinding: bound [label hash, app-ID hash], row app id.
                    aad.begin(vaultID: vaultID, table: "apps", column: "meta")
                    aad.append(row.bytes(6))
                    aad.append(row.bytes(7))
                    aad.finish(row: appID)
                    app = try aad.bytes.withUnsafeBytes { associatedData in
                        try RecordCipher.openRecord(
                            row.bytes(8), using: context, associatedData: associatedData, table: "apps", column: "meta",
                            rowName: { RecordID(bytes: Array(appID)).description }, App.init(record:))
                    }
                    if let key {
                        appIndex[key] = apps.count
                        apps.append(app)
                    }
                }
                // Whether the value is held matters for an app a person rotates only; asking reads
                // the row itself, off the index, so it is asked for those alone.
                var holdsValue = false
                if CredentialCustody.needsValueToTell(app, holder: credential.holder) {
                    holdsValue = try db.value(Bool.self, sql: "SELECT length(secret) IS NOT NULL FROM credentials WHERE id = ?", arguments: [Data(id)]) ?? false
                }
                result.append(ExpiringCredential(app: app, credential: credential, custody: .of(app, holder: credential.holder, holdsValue: holdsValue)))
            }
            return result
        }
    }
}

extension Vault {
    /// The most of the vault's file the expiry listing maps (see ``StorageTransaction/mapPages(upTo:)``).
    static let listingMapLimit = 256 << 20
}

/// A 16-byte row id as two integers, a cheaper dictionary key than the bytes themselves;
/// `nil` for any other length (such a row is not cached, so two ids can never share a key).
private struct AppKey: Hashable {
    let high: UInt64
    let low: UInt64

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        low = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    }
}

import CryptoPrimitives
import Foundation
import Storage

extension Vault {
    // MARK: Lookup hashes

    func lookupHash(_ kind: String, _ value: String) throws -> Data {
        Data(try HMAC.sha256(key: keys.lookupKey, message: Array("\(kind)\u{0}\(value.lowercased())".utf8)))
    }

    /// An app's record is bound to its row and to both lookup hashes stored beside it.
    static func appBinding(_ id: RecordID, labelHash: Data, appIDHash: Data) -> RecordCipher.Binding {
        RecordCipher.Binding(table: "apps", column: "meta", row: id, bound: [labelHash, appIDHash])
    }

    /// A context for opening metadata records, to reuse across the rows of one read.
    func metadataContext() throws -> AEADContext { try RecordCipher.context(for: keys.metadataCipherKey) }

    func sealApp(_ app: App, id: RecordID, labelHash: Data, appIDHash: Data) throws -> Data {
        try cipher.seal(app.record(), key: keys.metadataCipherKey, binding: Self.appBinding(id, labelHash: labelHash, appIDHash: appIDHash))
    }

    func decodeApp(_ row: StoredRow, context: AEADContext? = nil) throws -> AppRecord {
        let id = RecordID(try row["id"] as Data)
        let binding = Self.appBinding(id, labelHash: try row["label_hash"], appIDHash: try row["app_id_hash"])
        let app = try cipher.openRecord(row["meta"], using: context ?? metadataContext(), binding: binding, App.init(record:))
        // After the decryption, so damage is named by its column; a row that decrypts but was
        // sealed by a reader ends here.
        try authenticate(table: "apps", row: row)
        return AppRecord(
            id: id, app: app,
            createdAt: Date(timeIntervalSince1970: TimeInterval(try row["created_at"] as Int64)),
            updatedAt: Date(timeIntervalSince1970: TimeInterval(try row["updated_at"] as Int64)))
    }

    /// Finds an app by label, or by app ID when `name` is a GUID.
    func findApp(_ db: any StorageTransaction, _ name: String) throws -> AppRecord {
        if let row = try db.row(sql: "SELECT * FROM apps WHERE label_hash = ?", arguments: [try lookupHash("label", name)]) {
            return try decodeApp(row)
        }
        if Validation.isGUID(name),
           let row = try db.row(sql: "SELECT * FROM apps WHERE app_id_hash = ?", arguments: [try lookupHash("app-id", name)]) {
            return try decodeApp(row)
        }
        throw VaultError.appNotFound(name)
    }

    /// Like ``findApp(_:_:)``, but `nil` when there is no such app; damage still throws.
    func findAppIfPresent(_ db: any StorageTransaction, _ name: String) throws -> AppRecord? {
        do {
            return try findApp(db, name)
        } catch let error as VaultError where error.code == .appNotFound {
            return nil
        }
    }

    /// The app whose app ID is `appID`, or `nil`; never an app whose label merely reads like it.
    ///
    /// Imports match records by app ID: a label may itself be a GUID, and ``findApp(_:_:)`` tries
    /// labels first, which would hand one app's records to another.
    func findAppIfPresent(_ db: any StorageTransaction, appID: String) throws -> AppRecord? {
        guard let row = try db.row(sql: "SELECT * FROM apps WHERE app_id_hash = ?", arguments: [try lookupHash("app-id", appID)])
        else { return nil }
        return try decodeApp(row)
    }

    // MARK: Reading

    /// The app whose label (or app ID) is `name`.
    public func app(_ name: String) throws -> AppRecord {
        try read { db in try findApp(db, name) }
    }

    /// The app stored in row `id`, whatever its label is now.
    ///
    /// - Throws: ``VaultError/appNotFound(_:)`` when the row is gone (the app was removed).
    public func app(id: RecordID) throws -> AppRecord {
        try read { db in try appRecord(db, id: id) }
    }

    /// Every app with its credentials, sorted by label.
    ///
    /// Reads no secret column, which a listing does not need (a forged 300 MB value cost
    /// `list` 1.26 GB). A credential row's authentication tag covers its value, so credential
    /// rows are not checked one by one here: what prints this view checks the whole vault
    /// first or after (``checkIntegrity()``, which bounds each value's size before reading it),
    /// as `secrets list` does, and `rotate` re-reads every row it acts on.
    public func overview() throws -> [AppOverview] {
        try read { db in
            let context = try metadataContext()
            var credentials: [RecordID: [CredentialRecord]] = [:]
            try db.forEachRow(sql: "SELECT \(Self.credentialColumnsWithoutValue) FROM credentials") { row in
                let record = try decodeCredential(row, context: context)
                credentials[record.appRecordID, default: []].append(record)
            }
            return try db.rows(sql: "SELECT * FROM apps").map { row in
                let app = try decodeApp(row, context: context)
                let own = (credentials[app.id] ?? []).sorted { $0.credential.created > $1.credential.created }
                return AppOverview(record: app, credentials: own)
            }.sorted { $0.record.app.label.lowercased() < $1.record.app.label.lowercased() }
        }
    }

    /// One app with its credentials.
    ///
    /// - Parameter authenticatingRows: `false` reads no secret column and so does not check
    ///   each credential row's tag, which covers the value (as ``overview()``); for views whose
    ///   caller checks the whole vault, such as `secrets app show`.
    public func overview(of name: String, authenticatingRows: Bool = true) throws -> AppOverview {
        try read { db in
            let app = try findApp(db, name)
            return AppOverview(record: app, credentials: try credentials(db, of: app, withValues: authenticatingRows))
        }
    }

    // MARK: Changing

    /// Adds an app. Its label and its app ID must both be new to the vault.
    @discardableResult
    public func addApp(_ app: App, now: Date = Date()) throws -> AppRecord {
        try app.validate()
        return try write(now: now) { writer in try insertApp(app, writer: &writer) }
    }

    func insertApp(_ app: App, auditAs action: AuditAction = .appAdd, detail: String? = nil, writer: inout VaultWriter) throws -> AppRecord {
        let labelHash = try lookupHash("label", app.label)
        let appIDHash = try lookupHash("app-id", app.appID)
        if try writer.db.value(Bool.self, sql: "SELECT 1 FROM apps WHERE label_hash = ?", arguments: [labelHash]) == true {
            throw VaultError.appExists(app.label)
        }
        if try writer.db.value(Bool.self, sql: "SELECT 1 FROM apps WHERE app_id_hash = ?", arguments: [appIDHash]) == true {
            throw VaultError.appExists(app.appID)
        }
        let id = try RecordID.random()
        let meta = try sealApp(app, id: id, labelHash: labelHash, appIDHash: appIDHash)
        try writer.insert("apps", [
            ("id", id.data), ("label_hash", labelHash), ("app_id_hash", appIDHash), ("meta", meta),
            ("created_at", writer.timestamp), ("updated_at", writer.timestamp),
        ])
        try writer.audit(action, app: app.label, appID: app.appID, detail: detail)
        return AppRecord(id: id, app: app, createdAt: writer.now, updatedAt: writer.now)
    }

    /// Changes an app; `change` receives the current fields. The label and app ID stay unique.
    @discardableResult
    public func editApp(_ name: String, now: Date = Date(), _ change: (inout App) throws -> Void) throws -> AppRecord {
        try write(now: now) { writer in
            let record = try findApp(writer.db, name)
            var app = record.app
            try change(&app)
            app = App(
                label: app.label, appID: app.appID, tenant: app.tenant, cloud: app.cloud, issuer: app.issuer,
                rotator: app.rotator, issuerSettings: app.issuerSettings, consumers: app.consumers, policy: app.policy, tags: app.tags, notes: app.notes,
                secretDescription: app.secretDescription, monitored: app.monitored, objectID: app.objectID, owners: app.owners)
            try app.validate()
            let labelHash = try lookupHash("label", app.label)
            let appIDHash = try lookupHash("app-id", app.appID)
            if try writer.db.value(Bool.self, sql: "SELECT 1 FROM apps WHERE label_hash = ? AND id <> ?", arguments: [labelHash, record.id.data]) == true {
                throw VaultError.appExists(app.label)
            }
            if try writer.db.value(Bool.self, sql: "SELECT 1 FROM apps WHERE app_id_hash = ? AND id <> ?", arguments: [appIDHash, record.id.data]) == true {
                throw VaultError.appExists(app.appID)
            }
            let meta = try sealApp(app, id: record.id, labelHash: labelHash, appIDHash: appIDHash)
            try writer.update("apps", id: record.id, [
                ("label_hash", labelHash), ("app_id_hash", appIDHash), ("meta", meta), ("updated_at", writer.timestamp),
            ])
            var detail = changes(from: record.app, to: app)
            if record.app.monitored, !app.monitored {
                let kept = try keepInheritedSecrets(of: AppRecord(id: record.id, app: app, createdAt: record.createdAt, updatedAt: writer.now), writer: &writer)
                if kept > 0 { detail += "; \(kept) inherited previous secret(s) kept until retired by hand (`secrets rotate --retire-now`)" }
            }
            try writer.audit(.appEdit, app: app.label, appID: app.appID, detail: detail)
            return AppRecord(id: record.id, app: app, createdAt: record.createdAt, updatedAt: writer.now)
        }
    }

    /// When an admin takes over an app `secrets sync` only monitored, its other live secrets are
    /// the tenant's, used by whatever used them before: rotation retires a `previous` secret once
    /// its overlap has passed (`retireAfter`), so these get no end to theirs and stay until a
    /// person retires them. Returns how many.
    private func keepInheritedSecrets(of app: AppRecord, writer: inout VaultWriter) throws -> Int {
        var kept = 0
        for record in try credentials(writer.db, of: app)
            where record.credential.kind == .secret && record.credential.holder == .application && record.credential.state == .previous {
            guard record.credential.retireAfter == nil else { continue }
            var credential = record.credential
            credential.retireAfter = .distantFuture
            try updateCredentialMeta(id: record.id, app: app.id, credential: credential, writer: &writer)
            kept += 1
        }
        return kept
    }

    /// Removes an app and its credentials (values wiped); the audit log keeps its history.
    ///
    /// - Throws: ``VaultError/busy(reason:)`` while a rotation of the app is unfinished: its
    ///   journal row is what lets the next `rotate` find a secret the issuer made for it
    ///   (`secrets:<rotation id>`) and remove it, so it is never deleted under a rotation.
    public func removeApp(_ name: String, now: Date = Date()) throws {
        try write(now: now) { writer in
            let record = try findApp(writer.db, name)
            if let open = try openJournals(writer.db, of: record.id).first(where: { $0.kind != .retire }) {
                let label = record.app.label
                throw VaultError.busy(reason: "\(label) has an unfinished \(open.kind.rawValue) (rotation \(open.rotationID), at \(open.step.rawValue)) whose secret may exist at the issuer; finish it with `secrets rotate \(label)` or give it up with `secrets rotate \(label) --abandon`, then remove the app")
            }
            let ids = try writer.db.values(Data.self, sql: "SELECT id FROM credentials WHERE app = ?", arguments: [record.id.data])
            for id in ids { try writer.delete("credentials", id: RecordID(id)) }
            if hasJournal {
                let journals = try writer.db.values(Data.self, sql: "SELECT id FROM rotations WHERE app = ?", arguments: [record.id.data])
                for id in journals { try writer.delete("rotations", id: RecordID(id)) }
            }
            try deleteTenantSync(of: record.id, writer: &writer)
            try writer.delete("apps", id: record.id)
            try writer.audit(.appRemove, app: record.app.label, appID: record.app.appID, detail: "\(ids.count) credential(s) removed")
        }
    }

    private func changes(from old: App, to new: App) -> String {
        var fields: [String] = []
        if old.label != new.label { fields.append("label") }
        if old.appID != new.appID { fields.append("app-id") }
        if old.tenant != new.tenant { fields.append("tenant") }
        if old.cloud != new.cloud { fields.append("cloud") }
        if old.issuer != new.issuer { fields.append("issuer") }
        if old.rotator != new.rotator { fields.append("rotator") }
        if old.jamfProIssuer != new.jamfProIssuer { fields.append("jamf-issuer") }
        if old.otherIssuerSettings != new.otherIssuerSettings { fields.append("issuer-settings") }
        if old.consumers != new.consumers { fields.append("consumers") }
        if old.policy != new.policy { fields.append("policy") }
        if old.tags != new.tags { fields.append("tags") }
        if old.notes != new.notes { fields.append("notes") }
        if old.secretDescription != new.secretDescription { fields.append("secret-description") }
        if old.monitored != new.monitored { fields.append(new.monitored ? "monitored" : "managed") }
        if old.objectID != new.objectID { fields.append("object-id") }
        return fields.isEmpty ? "nothing changed" : "changed " + fields.joined(separator: ", ")
    }
}

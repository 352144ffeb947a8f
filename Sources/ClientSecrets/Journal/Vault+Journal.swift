import CryptoPrimitives
import Foundation
import Storage

/// The journal's rows and the credential transitions the rotation steps make, each run inside a
/// write the engine batches (see ``VaultCommitQueue``).
extension Vault {
    static func journalBinding(id: RecordID, app: RecordID, kind: String, step: String, status: String) -> RecordCipher.Binding {
        RecordCipher.Binding(table: "rotations", column: "meta", row: id, context: [kind, step, status], bound: [app.data])
    }

    func decodeJournal(_ row: StoredRow) throws -> RotationJournal {
        let id = RecordID(try row["id"] as Data)
        let app = RecordID(try row["app"] as Data)
        let kindText: String = try row["kind"]
        let stepText: String = try row["step"]
        let statusText: String = try row["status"]
        guard let kind = RotationJournal.Kind(rawValue: kindText), let step = RotationJournal.Step(rawValue: stepText),
              let status = RotationJournal.Status(rawValue: statusText)
        else {
            throw VaultError.tampered(table: "rotations", row: id.description, reason: "has an unknown kind, step or status")
        }
        let sealed = try cipher.openJSON(
            RotationJournal.Sealed.self, from: row["meta"], key: keys.metadataCipherKey,
            binding: Self.journalBinding(id: id, app: app, kind: kindText, step: stepText, status: statusText))
        var journal = RotationJournal(
            id: id, appRecordID: app, kind: kind, step: step, status: status, rotationID: sealed.rotationID,
            expires: sealed.expires, keyID: sealed.keyID, previousKeyID: sealed.previousKeyID, lastError: sealed.lastError,
            started: Date(timeIntervalSince1970: TimeInterval(try row["started_at"] as Int64)),
            updated: Date(timeIntervalSince1970: TimeInterval(try row["updated_at"] as Int64)))
        journal.revision = try row["revision"]
        journal.awaitsPerson = sealed.awaitsPerson ?? false
        journal.personConsumers = sealed.personConsumers ?? []
        try authenticate(table: "rotations", row: row)
        return journal
    }

    /// The journal rows that still have work, oldest first; all of them when `app` is `nil`.
    public func openJournals(of app: RecordID? = nil) throws -> [RotationJournal] {
        try read { db in try openJournals(db, of: app) }
    }

    /// One app as a rotation plans it, read in one snapshot: its overview (without reading the
    /// secret columns, as ``overview()``: the run re-reads every row it acts on) and its open
    /// journal rows. What a host plans an app from again once it holds the app's claim.
    public func planningState(of app: RecordID) throws -> (overview: AppOverview, open: [RotationJournal]) {
        try read { db in
            let record = try appRecord(db, id: app)
            return (AppOverview(record: record, credentials: try credentials(db, of: record, withValues: false)), try openJournals(db, of: app))
        }
    }

    package func openJournals(_ db: any StorageTransaction, of app: RecordID?) throws -> [RotationJournal] {
        guard hasJournal else { return [] }
        let rows: [StoredRow]
        if let app {
            rows = try db.rows(sql: "SELECT * FROM rotations WHERE app = ? AND step <> 'closed' ORDER BY started_at, id", arguments: [app.data])
        } else {
            rows = try db.rows(sql: "SELECT * FROM rotations WHERE step <> 'closed' ORDER BY started_at, id")
        }
        return try rows.map(decodeJournal)
    }

    /// Every journal row of the app, newest first (for history and tests).
    public func journal(of name: String) throws -> [RotationJournal] {
        try read { db in
            let app = try findApp(db, name)
            guard hasJournal else { return [] }
            return try db.rows(sql: "SELECT * FROM rotations WHERE app = ? ORDER BY started_at DESC, id", arguments: [app.id.data])
                .map(decodeJournal)
        }
    }

    package func insertJournal(_ journal: RotationJournal, writer: inout VaultWriter) throws {
        let meta = try sealJournal(journal)
        try writer.insert("rotations", [
            ("id", journal.id.data), ("app", journal.appRecordID.data), ("kind", journal.kind.rawValue), ("step", journal.step.rawValue),
            ("status", journal.status.rawValue), ("started_at", Self.epochSeconds(journal.started)),
            ("updated_at", Self.epochSeconds(journal.updated)), ("revision", journal.revision), ("meta", meta),
        ])
    }

    /// Writes `journal` over the row, which must still be at `journal.revision` (compare and
    /// swap): a row another process advanced or removed meanwhile is never overwritten.
    /// Returns the row's new revision.
    @discardableResult
    package func updateJournal(_ journal: RotationJournal, writer: inout VaultWriter) throws -> Int64 {
        guard let row = try writer.db.row(sql: "SELECT revision FROM rotations WHERE id = ?", arguments: [journal.id.data])
        else {
            throw RotationFailure.misconfigured("rotation \(journal.rotationID) was removed while it ran (was the app removed?)")
        }
        guard try row["revision"] as Int64 == journal.revision else {
            throw RotationFailure.misconfigured("rotation \(journal.rotationID) was advanced by another process; this run stopped working on it")
        }
        var next = journal
        next.revision += 1
        try writer.update("rotations", id: journal.id, [
            ("step", next.step.rawValue), ("status", next.status.rawValue),
            ("updated_at", Self.epochSeconds(next.updated)), ("revision", next.revision), ("meta", try sealJournal(next)),
        ])
        return next.revision
    }

    func sealJournal(_ journal: RotationJournal) throws -> Data {
        try cipher.sealJSON(
            journal.sealed, key: keys.metadataCipherKey,
            binding: Self.journalBinding(
                id: journal.id, app: journal.appRecordID, kind: journal.kind.rawValue, step: journal.step.rawValue,
                status: journal.status.rawValue))
    }

    // MARK: Credential transitions

    func credentialRow(_ db: any StorageTransaction, app: RecordID, keyID: String) throws -> StoredRow? {
        try db.row(sql: "SELECT * FROM credentials WHERE app = ? AND key_id_hash = ?",
            arguments: [app.data, try lookupHash("key-id", keyID)])
    }

    package func appRecord(_ db: any StorageTransaction, id: RecordID) throws -> AppRecord {
        guard let row = try db.row(sql: "SELECT * FROM apps WHERE id = ?", arguments: [id.data]) else {
            throw VaultError.appNotFound(id.description)
        }
        return try decodeApp(row)
    }

    /// Stores a secret the issuer just created: `pending` when the old one keeps working, else
    /// `current` at once, with the old one (already dead at the issuer) retired and wiped.
    package func storeIssued(_ issued: IssuedSecret, app: AppRecord, keepsPrevious: Bool, writer: inout VaultWriter) throws {
        let secretKey = try keys.requireSecretKey()
        // Never a silent no-op: the issuer's new secret would be dropped and the old one kept.
        if try credentialRow(writer.db, app: app.id, keyID: issued.keyID) != nil {
            throw RotationFailure.invalidAnswer("the issuer answered with key id \(issued.keyID), which the vault already holds for this app")
        }
        let text: String? = issued.value.withUnsafeBytes { String(validating: $0, as: UTF8.self) }
        if !keepsPrevious {
            for row in try writer.db.rows(sql: "SELECT * FROM credentials WHERE app = ? AND state = 'current'", arguments: [app.id.data]) {
                try retire(row: row, app: app, reason: "replaced; the issuer invalidated it", writer: &writer)
            }
        }
        var credential = Credential(
            keyID: issued.keyID, hint: Self.hint(for: text ?? ""), created: writer.now.wholeSeconds,
            validFrom: (issued.validFrom ?? writer.now).wholeSeconds, expires: issued.expires?.wholeSeconds,
            state: keepsPrevious ? .pending : .current, displayName: issued.displayName)
        if let certificate = issued.certificate {
            credential.hint = ""
            credential.kind = .certificate
            credential.thumbprint = CertificateDetails.hex(try certificate.sha1Thumbprint())
            credential.certificate = try CertificateDetails(certificate)
            try writer.raiseFormat(to: VaultSchema.certificateFormat)
        }
        _ = try storeCredential(credential, value: issued.value, secretKey: secretKey, for: app, writer: &writer)
    }

    /// New → `current`, the old current → `previous` until now + overlap. Repeating it changes nothing.
    package func promote(app: AppRecord, keyID: String, writer: inout VaultWriter) throws {
        try makeCurrent(
            app: app, keyID: keyID, from: .pending, demotedRetireAfter: writer.now.addingTimeInterval(app.app.policy.overlap),
            action: .rotationPromote, writer: &writer)
    }

    /// Makes the `previous` credential `keyID` current again; the current one becomes previous,
    /// due for retirement at once.
    package func rollBack(app: AppRecord, to keyID: String, writer: inout VaultWriter) throws {
        try makeCurrent(app: app, keyID: keyID, from: .previous, demotedRetireAfter: writer.now, action: .rotationRollback, writer: &writer)
    }

    /// The credential `keyID`, which must be in state `from`, becomes current; the credential it
    /// replaces becomes previous until `demotedRetireAfter`. Repeating it changes nothing.
    private func makeCurrent(
        app: AppRecord, keyID: String, from expected: CredentialState, demotedRetireAfter: Date, action: AuditAction, writer: inout VaultWriter
    ) throws {
        guard let row = try credentialRow(writer.db, app: app.id, keyID: keyID) else {
            throw VaultError.credentialNotFound(app: app.app.label, keyID: keyID)
        }
        var target = try decodeCredential(row)
        guard target.credential.state != .current else { return }
        guard target.credential.state == expected else {
            throw VaultError.invalidValue(
                field: "state", reason: "key \(keyID) of \(app.app.label) is \(target.credential.state.rawValue), not \(expected.rawValue)")
        }
        try demoteCurrent(of: app, retireAfter: demotedRetireAfter, writer: &writer)
        target.credential.state = .current
        target.credential.retireAfter = nil
        try updateCredentialMeta(id: target.id, app: app.id, credential: target.credential, writer: &writer)
        try writer.audit(action, app: app.app.label, appID: app.app.appID, keyID: keyID, detail: "\(expected.rawValue) → current")
    }

    /// Marks a credential retired and wipes its value (the metadata stays for history). Only a
    /// credential in one of `states` is touched: a current one is never retired by accident.
    package func retire(app: AppRecord, keyID: String, reason: String, from states: Set<CredentialState>, writer: inout VaultWriter) throws {
        guard let row = try credentialRow(writer.db, app: app.id, keyID: keyID) else { return }
        let record = try decodeCredential(row)
        guard states.contains(record.credential.state) else {
            throw RotationFailure.misconfigured(
                "key \(keyID) of \(app.app.label) is \(record.credential.state.rawValue) now, so it was not retired")
        }
        try retire(row: row, app: app, reason: reason, writer: &writer)
    }

    private func retire(row: StoredRow, app: AppRecord, reason: String, writer: inout VaultWriter) throws {
        var record = try decodeCredential(row)
        guard record.credential.state != .retired else { return }
        let from = record.credential.state
        record.credential.state = .retired
        record.credential.retireAfter = nil
        try updateCredentialMeta(id: record.id, app: app.id, credential: record.credential, writer: &writer)
        // secure_delete overwrites the freed bytes of the sealed value.
        try writer.update("credentials", id: record.id, [("secret", nil)])
        try writer.audit(
            .secretRetire, app: app.app.label, appID: app.app.appID, keyID: record.credential.keyID,
            detail: "\(from.rawValue) → retired: \(reason)")
    }

    /// Sets when a `previous` credential may be retired (`--retire-now` ends the overlap early).
    package func setRetireAfter(app: AppRecord, keyID: String, date: Date, writer: inout VaultWriter) throws {
        guard let row = try credentialRow(writer.db, app: app.id, keyID: keyID) else {
            throw VaultError.credentialNotFound(app: app.app.label, keyID: keyID)
        }
        var record = try decodeCredential(row)
        guard record.credential.state == .previous else { return }
        record.credential.retireAfter = date.wholeSeconds
        try updateCredentialMeta(id: record.id, app: app.id, credential: record.credential, writer: &writer)
        try writer.audit(.secretRetireNow, app: app.app.label, appID: app.app.appID, keyID: keyID, detail: "overlap ended early")
    }
}

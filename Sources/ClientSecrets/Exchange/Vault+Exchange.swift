import CryptoPrimitives
import Foundation
import Storage

/// What an import added and what it left alone.
public struct ImportSummary: Sendable, Hashable, Codable {
    /// Apps added.
    public var appsAdded = 0
    /// Credentials added.
    public var credentialsAdded = 0
    /// Credentials already present and identical.
    public var unchanged = 0
    /// Records that differ from the vault's and were left as they are (only with `skipConflicts`).
    public var conflictsSkipped: [String] = []
}

extension Vault {
    /// The whole vault, values included, as an ``ExportDocument``. Admin only.
    public func exportDocument(now: Date = Date()) throws -> ExportDocument {
        _ = try keys.requireSecretKey()
        let apps = try read { db in
            // Read again inside the transaction: another process may have rekeyed since (see SharedKeys).
            let secretKey = try keys.requireSecretKey()
            return try db.rows(sql: "SELECT * FROM apps").map { try decodeApp($0) }.map { app -> ExportedApp in
                let rows = try db.rows(sql: "SELECT * FROM credentials WHERE app = ?", arguments: [app.id.data])
                let credentials = try rows.map { row -> ExportedCredential in
                    let record = try decodeCredential(row)
                    let value = try (row["secret"] as Data?).map { sealed -> String in
                        let plaintext = try cipher.open(sealed, key: secretKey, binding: Self.credentialSecretBinding(id: record.id, app: app.id))
                        guard let text = plaintext.withUnsafeBytes({ String(validating: $0, as: UTF8.self) }) else {
                            throw VaultError.invalidDocument(
                                reason: "credential \(record.credential.keyID) of \"\(app.app.label)\" is not UTF-8 text, so the export cannot hold it exactly")
                        }
                        return text
                    }
                    return ExportedCredential(record.credential, value: value)
                }.sorted { $0.created < $1.created }
                return ExportedApp(app: app.app, credentials: credentials)
            }.sorted { $0.label.lowercased() < $1.label.lowercased() }
        }
        return ExportDocument(exportedAt: now, vaultID: vaultID, apps: apps)
    }

    /// Throws ``VaultError/importNotTrusted(otherVaultID:actions:)`` when `document` needs more
    /// trust than `trusting` gives: it names another vault, or it carries ``App/actions``.
    ///
    /// An export document is not authenticated (anyone can encrypt one to a recipient's public
    /// key, and a file can be edited on the way), so even this vault's own export must be
    /// allowed its actions. ``importDocument(_:skipConflicts:trusting:now:)`` checks this
    /// first; call it directly to refuse before showing the actions to a person.
    public func checkTrust(of document: ExportDocument, trusting: ImportTrust = []) throws {
        let otherVault = document.vaultID.lowercased() != vaultID && !trusting.contains(.otherVault)
        let actions = trusting.contains(.actions) ? [] : document.actions
        if otherVault || !actions.isEmpty {
            throw VaultError.importNotTrusted(otherVaultID: otherVault ? document.vaultID : nil, actions: actions)
        }
    }

    /// Merges an export into this vault by app ID and key ID, in one transaction.
    ///
    /// First the document must be trusted as far as it needs (see ``checkTrust(of:trusting:)``):
    /// by default only a document of this vault whose apps carry no actions is imported. Then
    /// records missing here are added; identical ones are left alone. A record that differs from
    /// what the vault holds is a conflict: with `skipConflicts` false nothing is imported and
    /// ``VaultError/importConflicts(_:)`` lists them; with it true, everything else is imported.
    @discardableResult
    public func importDocument(
        _ document: ExportDocument, skipConflicts: Bool = false, trusting: ImportTrust = [], now: Date = Date()
    ) throws -> ImportSummary {
        _ = try keys.requireSecretKey()
        try checkTrust(of: document, trusting: trusting)
        try Self.validate(document)
        return try write(now: now) { writer in
            // Read again inside the transaction: another process may have rekeyed since (see SharedKeys).
            let secretKey = try keys.requireSecretKey()
            var summary = ImportSummary()
            var conflicts: [String] = []
            // Owners and service principals' credentials are stored in records a `secrets` of
            // format 3 cannot read: the format says so, as sync's does.
            if document.apps.contains(where: { $0.owners != nil || $0.credentials.contains { $0.holder != nil } }) {
                try writer.raiseFormat(to: VaultSchema.tenantDetailFormat)
            }
            if document.apps.contains(where: { $0.credentials.contains { $0.certificate != nil } }) {
                try writer.raiseFormat(to: VaultSchema.certificateFormat)
            }
            for entry in document.apps {
                let incoming = entry.app
                let existing = try findAppIfPresent(writer.db, appID: incoming.appID)
                let app: AppRecord
                if let existing {
                    // Owners are what the last `sync --owners` read, not the app's settings: an
                    // older copy's owners are no conflict, and the vault's own stay.
                    var comparable = existing.app
                    comparable.owners = incoming.owners
                    if comparable != incoming {
                        conflicts.append("app \(incoming.appID) (\"\(incoming.label)\") differs from the vault's \"\(existing.app.label)\"")
                        continue
                    }
                    app = existing
                } else {
                    if try findAppIfPresent(writer.db, incoming.label) != nil {
                        conflicts.append("label \"\(incoming.label)\" belongs to another app ID in the vault")
                        continue
                    }
                    app = try insertApp(incoming, writer: &writer)
                    summary.appsAdded += 1
                }
                var held = try credentials(writer.db, of: app)
                for exported in entry.credentials {
                    let credential = exported.credential
                    let label = "credential \(credential.keyID) of \"\(incoming.label)\""
                    if let mine = held.first(where: { $0.credential.keyID == credential.keyID }) {
                        var sameValue = !mine.hasValue
                        if let value = exported.value, mine.hasValue {
                            sameValue = try secretValue(writer.db, record: mine, secretKey: secretKey)
                                .constantTimeEquals(SecureBytes(copying: Array(value.utf8)))
                        }
                        if Self.sameMetadata(mine.credential, credential) && sameValue {
                            summary.unchanged += 1
                        } else {
                            conflicts.append("\(label) differs from the vault's")
                        }
                        continue
                    }
                    if credential.state == .current, held.contains(where: { $0.credential.state == .current }) {
                        conflicts.append("\(label) would replace the app's current credential")
                        continue
                    }
                    var value = exported.value.map { SecureBytes(copying: Array($0.utf8)) }
                    if credential.certificate != nil, let text = value {
                        // Stored as the vault writes it (validated already): text around the PEM
                        // blocks, which PEM readers skip, does not travel on to a consumer.
                        let pair = try CertificateBundle.decode(text)
                        value = CertificateBundle.encode(certificate: pair.certificate, key: pair.privateKey)
                    }
                    held.append(try storeCredential(credential, value: value, secretKey: secretKey, for: app, writer: &writer))
                    summary.credentialsAdded += 1
                }
            }
            if !conflicts.isEmpty, !skipConflicts { throw VaultError.importConflicts(conflicts) }
            summary.conflictsSkipped = conflicts
            try writer.audit(
                .vaultImport, detail: "\(summary.appsAdded) apps and \(summary.credentialsAdded) credentials added, \(conflicts.count) conflicts skipped")
            return summary
        }
    }

    /// Registers the apps and credential metadata found in Azure's JSON (no values).
    ///
    /// Azure's JSON has no vault ID and cannot carry ``App/actions``: the apps registered here
    /// have none (no rotator, no consumers) and are only monitored (``App/monitored``), as
    /// `secrets sync` registers them; existing apps are never changed.
    ///
    /// New apps get `tenant`, `cloud` and the Entra ID issuer; their label is the display name
    /// (or the app ID when that is taken or missing). Of the credentials of an app that has no
    /// current one, the one that expires last becomes `current` and the others `previous`;
    /// credentials added to an app that already has a current one become `previous`.
    @discardableResult
    public func importAzure(
        _ document: AzureApplicationsDocument, tenant: String, cloud: Cloud, skipConflicts: Bool = false, now: Date = Date()
    ) throws -> ImportSummary {
        try Validation.tenant(tenant)
        return try write(now: now) { writer in
            var summary = ImportSummary()
            var conflicts: [String] = []
            for azureApp in document.applications {
                var app: AppRecord
                if let existing = try findAppIfPresent(writer.db, appID: azureApp.appID) {
                    app = existing
                } else {
                    let label = try freeLabel(displayName: azureApp.displayName, appID: azureApp.appID, writer.db)
                    app = try insertApp(
                        App(label: label, appID: azureApp.appID, tenant: tenant, cloud: cloud, issuer: .entraID, monitored: true), writer: &writer)
                    summary.appsAdded += 1
                }
                let held = try credentials(writer.db, of: app)
                var hasCurrent = held.contains { $0.credential.state == .current }
                let incoming = azureApp.credentials.sorted { ($0.end ?? .distantFuture) > ($1.end ?? .distantFuture) }
                for password in incoming {
                    if let mine = held.first(where: { $0.credential.keyID == password.keyID }) {
                        if mine.credential.expires.map(Self.epochSeconds) == password.end.map(Self.epochSeconds) {
                            summary.unchanged += 1
                        } else {
                            conflicts.append("credential \(password.keyID) of \"\(app.app.label)\" has another expiry in the vault")
                        }
                        continue
                    }
                    let credential = Credential(
                        keyID: password.keyID, hint: password.hint ?? "", created: now.wholeSeconds,
                        validFrom: (password.start ?? now).wholeSeconds, expires: password.end?.wholeSeconds,
                        state: hasCurrent ? .previous : .current, displayName: password.displayName)
                    hasCurrent = true
                    _ = try storeCredential(credential, value: nil, secretKey: nil, for: app, writer: &writer)
                    summary.credentialsAdded += 1
                }
            }
            if !conflicts.isEmpty, !skipConflicts { throw VaultError.importConflicts(conflicts) }
            summary.conflictsSkipped = conflicts
            try writer.audit(
                .vaultImportAzure,
                detail: "from \(document.source.rawValue): \(summary.appsAdded) apps and \(summary.credentialsAdded) credentials added")
            return summary
        }
    }

    /// The checks ``addApp(_:now:)`` and ``addSecret(to:value:keyID:expires:validFrom:state:displayName:now:)``
    /// make, applied to a whole document before anything is written.
    static func validate(_ document: ExportDocument) throws {
        for (index, entry) in document.apps.enumerated() {
            do {
                try entry.app.validate()
            } catch let error as VaultError where error.code == .invalidValue {
                guard case .invalidValue(let field, let reason) = error.detail else { throw error }
                throw VaultError.invalidDocument(reason: "app \(index + 1) has an invalid \(field): \(reason)")
            }
            var keyIDs = Set<String>()
            var thumbprints = Set<String>()
            for credential in entry.credentials {
                let subject = "credential \(credential.keyId.prefix(40)) of app \(entry.appId)"
                guard Validation.isGUID(credential.keyId) else { throw VaultError.invalidDocument(reason: "\(subject): the key ID is not a GUID") }
                guard keyIDs.insert(credential.keyId.lowercased()).inserted else {
                    throw VaultError.invalidDocument(reason: "\(subject) appears twice")
                }
                if let details = credential.certificate {
                    try validateCertificate(details, value: credential.value, credential: credential, subject: subject)
                    guard thumbprints.insert(details.sha256Thumbprint).inserted else {
                        throw VaultError.invalidDocument(reason: "\(subject): the app holds the same certificate twice")
                    }
                } else if let value = credential.value, value.isEmpty || value.utf8.count > maximumSecretCount {
                    throw VaultError.invalidDocument(reason: "\(subject): the value is empty or longer than \(maximumSecretCount) bytes")
                }
                if credential.type == .certificate, credential.certificate == nil, credential.value != nil {
                    throw VaultError.invalidDocument(reason: "\(subject): a certificate's private key comes without its certificate")
                }
                // A service principal's credential is only ever monitored: never the secret an
                // app signs in with, so never current and never a value the vault hands out.
                if credential.holder == .servicePrincipal, credential.state == .current || credential.value != nil {
                    throw VaultError.invalidDocument(reason: "\(subject): a service principal's credential cannot be current or carry a value")
                }
            }
            if entry.credentials.filter({ $0.state == .current }).count > 1 {
                throw VaultError.invalidDocument(reason: "app \(entry.appId) has more than one current credential")
            }
        }
    }

    /// A certificate in a document must be what the vault itself would store: a certificate
    /// that reads, whose thumbprints and dates are the credential's, with its own private key.
    static func validateCertificate(_ details: CertificateDetails, value: String?, credential: ExportedCredential, subject: String) throws {
        guard credential.type == .certificate, credential.holder == nil else {
            throw VaultError.invalidDocument(reason: "\(subject): only an app registration's certificate carries a certificate")
        }
        guard details.der.count <= CertificateDetails.maximumSize, let certificate = try? details.certificate(),
              let sha1 = try? certificate.sha1Thumbprint(), let sha256 = try? certificate.sha256Thumbprint(),
              CertificateDetails.hex(sha1) == credential.thumbprint, CertificateDetails.hex(sha256) == details.sha256Thumbprint,
              certificate.subject == details.subject, certificate.notAfter == credential.expires?.wholeSeconds,
              certificate.notBefore == credential.validFrom.wholeSeconds
        else {
            throw VaultError.invalidDocument(reason: "\(subject): its certificate does not read, or disagrees with its thumbprints, subject or validity")
        }
        guard let value else { return }
        guard value.utf8.count <= maximumCertificateValueSize,
              let pair = try? CertificateBundle.decode(SecureBytes(copying: Array(value.utf8))), pair.certificate == certificate
        else {
            throw VaultError.invalidDocument(reason: "\(subject): its value is not the certificate followed by its private key in PEM")
        }
    }

    /// The largest certificate value accepted, in bytes of PEM: a 16,384-bit PKCS #8 key is
    /// about 12.7 KiB, its certificate about 5.5 KiB.
    public static let maximumCertificateValueSize = 24_576

    func secretValue(_ db: any StorageTransaction, record: CredentialRecord, secretKey: SecureBytes) throws -> SecureBytes {
        guard let sealed = try db.value(Data.self, sql: "SELECT secret FROM credentials WHERE id = ?", arguments: [record.id.data]) else {
            throw VaultError.noSecretValue(app: record.appRecordID.description, keyID: record.credential.keyID)
        }
        return try cipher.open(sealed, key: secretKey, binding: Self.credentialSecretBinding(id: record.id, app: record.appRecordID))
    }

    static func sameMetadata(_ a: Credential, _ b: Credential) -> Bool {
        func seconds(_ date: Date?) -> Int64? { date.map(epochSeconds) }
        return a.keyID == b.keyID && a.hint == b.hint && a.state == b.state && a.displayName == b.displayName
            && a.kind == b.kind && a.thumbprint == b.thumbprint && a.holder == b.holder && a.certificate == b.certificate
            && seconds(a.created) == seconds(b.created) && seconds(a.validFrom) == seconds(b.validFrom)
            && seconds(a.expires) == seconds(b.expires) && seconds(a.retireAfter) == seconds(b.retireAfter)
    }
}

extension Date {
    /// This date without its fraction of a second, as the vault's clear columns and exports keep it.
    public var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}

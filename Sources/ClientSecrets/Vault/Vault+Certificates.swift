import CryptoPrimitives
import Foundation
import Storage

/// Certificate credentials the vault made or imported: the public certificate is metadata
/// (anyone who can read the vault can print it for an upload); the sealed value, which only an
/// admin identity can read, is the ``CertificateBundle``: the certificate and its private key.
extension Vault {
    /// Stores `certificate` as a credential of the app `name`, with `privateKey` as its sealed
    /// value when given (a certificate without its key is tracked for expiry only).
    ///
    /// Its validity becomes the credential's, its SHA-1 thumbprint the one Entra ID shows. With
    /// the default `state` `.pending` it is not used to sign in until ``activateCertificate(of:keyID:issuerKeyID:now:)``;
    /// `.current` makes the app's current credential `previous` at once.
    ///
    /// - Parameters:
    ///   - keyID: Entra ID's key ID when known (an import of an uploaded certificate); a new
    ///     GUID otherwise, replaced on activation.
    /// - Throws: ``VaultError/invalidValue(field:reason:)`` when the key is not the certificate's,
    ///   the certificate has expired or the app already holds it.
    @discardableResult
    public func addCertificate(
        to name: String, certificate: X509Certificate, privateKey: RSAPrivateKey?, keyID: String? = nil,
        state: CredentialState = .pending, displayName: String? = nil, now: Date = Date()
    ) throws -> CredentialRecord {
        if privateKey != nil { _ = try keys.requireSecretKey() }
        guard state != .retired else { throw VaultError.invalidValue(field: "state", reason: "a new certificate cannot be retired") }
        // Without its key, a certificate is tracked for expiry only: nothing signs in with it,
        // and rotation never removes it (it has no details, as a certificate `sync` found).
        guard privateKey != nil || state != .current else {
            throw VaultError.invalidValue(field: "state", reason: "a certificate without its private key cannot be current: nothing could sign in with it")
        }
        if let privateKey, try !certificate.matches(privateKey) {
            throw VaultError.invalidValue(field: "private-key", reason: "it is not the certificate's key (their public keys differ)")
        }
        guard certificate.notAfter > now else {
            throw VaultError.invalidValue(field: "certificate", reason: "it expired on \(DateParser.format(certificate.notAfter)); make a new one with `secrets cert new`")
        }
        let keyID = (keyID ?? UUID().uuidString).lowercased()
        try Validation.guid(keyID, field: "key-id")
        let details = try CertificateDetails(certificate)
        let thumbprint = CertificateDetails.hex(try certificate.sha1Thumbprint())
        let value = privateKey.map { CertificateBundle.encode(certificate: certificate, key: $0) }
        if let value, value.count > Self.maximumCertificateValueSize {
            throw VaultError.invalidValue(field: "certificate", reason: "it and its key take more than \(Self.maximumCertificateValueSize) bytes")
        }
        return try write(now: now) { writer in
            let secretKey = privateKey == nil ? nil : try keys.requireSecretKey()
            let app = try findApp(writer.db, name)
            if let same = try credentials(writer.db, of: app, withValues: false).first(where: { $0.credential.thumbprint == thumbprint }) {
                throw VaultError.invalidValue(
                    field: "certificate", reason: "\(app.app.label) already holds this certificate (key ID \(same.credential.keyID), \(same.credential.state.rawValue))")
            }
            let credential = Credential(
                keyID: keyID, hint: "", created: now.wholeSeconds, validFrom: certificate.notBefore, expires: certificate.notAfter, state: state,
                displayName: displayName ?? (privateKey == nil ? certificate.subject : nil),
                retireAfter: state == .previous ? now.addingTimeInterval(app.app.policy.overlap).wholeSeconds : nil,
                kind: .certificate, thumbprint: thumbprint, certificate: privateKey == nil ? nil : details)
            if privateKey != nil { try writer.raiseFormat(to: VaultSchema.certificateFormat) }
            let record = try storeCredential(credential, value: value, secretKey: secretKey, for: app, audited: false, writer: &writer)
            try writer.audit(
                .certificateAdd, app: app.app.label, appID: app.app.appID, keyID: keyID,
                detail: "\(state.rawValue), SHA-1 \(thumbprint), expires \(DateParser.format(certificate.notAfter))\(value == nil ? ", without its private key" : "")")
            return record
        }
    }

    /// The certificates of the app `name` (made, imported or found in the tenant), newest first.
    /// Needs only the metadata key.
    public func certificates(of name: String) throws -> [CredentialRecord] {
        try read { db in
            try credentials(db, of: try findApp(db, name), withValues: false).filter { $0.credential.kind == .certificate }
        }
    }

    /// The certificate `keyID` of the app `name` (its current credential when `nil`) with its
    /// private key, read back and checked against each other. Admin only.
    ///
    /// - Throws: ``VaultError/credentialNotFound(app:keyID:)``, ``VaultError/noSecretValue(app:keyID:)``
    ///   for a certificate whose key the vault does not hold, and ``VaultError/invalidValue(field:reason:)``
    ///   when the credential is a secret.
    public func signingCertificate(of name: String, keyID: String? = nil) throws -> SigningCertificate {
        let record = try credential(of: name, keyID: keyID)
        guard record.credential.kind == .certificate, let details = record.credential.certificate else {
            throw VaultError.invalidValue(
                field: "key-id", reason: "\(record.credential.keyID) of \(name) is a \(record.credential.kind == .secret ? "secret" : "certificate the vault has no copy of")")
        }
        let value = try sealedValue(of: name, keyID: record.credential.keyID, certificate: true)
        let pair: SigningCertificate.Pair
        do {
            pair = try CertificateBundle.decode(value)
        } catch {
            throw VaultError.tampered(table: "credentials", row: record.id.description, reason: "holds a certificate and key that do not read")
        }
        guard pair.certificate == (try details.certificate()) else {
            throw VaultError.tampered(table: "credentials", row: record.id.description, reason: "holds a certificate that is not its recorded one")
        }
        return SigningCertificate(keyID: record.credential.keyID, certificate: pair.certificate, privateKey: pair.privateKey)
    }

    /// The sealed value of the certificate `keyID` of the app `name`: the ``CertificateBundle``
    /// of the certificate and its private key, for the rotation engine to verify and deliver a
    /// certificate it rolled. Admin only.
    public func certificateBundle(of name: String, keyID: String) throws -> SecureBytes {
        try sealedValue(of: name, keyID: keyID, certificate: true)
    }

    /// What the app `name` signs in with: its current credential's secret, or its current
    /// certificate and private key. Admin only.
    public func signInCredential(of name: String) throws -> SignInCredential {
        let current = try credential(of: name, keyID: nil)
        if current.credential.kind == .certificate { return .certificate(try signingCertificate(of: name, keyID: current.credential.keyID)) }
        return .secret(try secretValue(of: name, keyID: current.credential.keyID))
    }

    /// Makes the pending certificate `keyID` of the app `name` its current credential, once a
    /// sign-in with it has worked; the credential that was current becomes `previous`, to be
    /// retired after the app's overlap.
    ///
    /// - Parameter issuerKeyID: the key ID Entra ID gave the uploaded certificate, which
    ///   replaces the one the vault made up.
    public func activateCertificate(of name: String, keyID: String, issuerKeyID: String? = nil, now: Date = Date()) throws -> CredentialRecord {
        try Validation.guid(keyID, field: "key-id")
        if let issuerKeyID { try Validation.guid(issuerKeyID, field: "entra-key-id") }
        return try write(now: now) { writer in
            let app = try findApp(writer.db, name)
            // A rotation under way would promote its own key over this one, or roll back to the old.
            if try openJournals(writer.db, of: app.id).contains(where: { $0.kind != .retire }) {
                throw VaultError.busy(reason: "a rotation of \(app.app.label) is unfinished; finish it with `secrets rotate \(app.app.label)` first")
            }
            let keyIDHash = try lookupHash("key-id", keyID)
            guard let row = try writer.db.row(sql: "SELECT * FROM credentials WHERE app = ? AND key_id_hash = ?", arguments: [app.id.data, keyIDHash]) else {
                throw VaultError.credentialNotFound(app: app.app.label, keyID: keyID.lowercased())
            }
            var record = try decodeCredential(row)
            guard record.credential.kind == .certificate, record.credential.state == .pending else {
                throw VaultError.invalidValue(
                    field: "key-id", reason: "\(record.credential.keyID) is a \(record.credential.state.rawValue) \(record.credential.kind.rawValue), not a pending certificate")
            }
            guard record.hasValue else { throw VaultError.noSecretValue(app: app.app.label, keyID: record.credential.keyID) }
            let newKeyID = issuerKeyID?.lowercased() ?? record.credential.keyID
            if newKeyID != record.credential.keyID {
                if try writer.db.value(Bool.self, sql: "SELECT 1 FROM credentials WHERE app = ? AND key_id_hash = ?",
                    arguments: [app.id.data, try lookupHash("key-id", newKeyID)]) == true {
                    throw VaultError.credentialExists(app: app.app.label, keyID: newKeyID)
                }
                try writer.update("credentials", id: record.id, [("key_id_hash", try lookupHash("key-id", newKeyID))])
            }
            try demoteCurrent(of: app, retireAfter: now.addingTimeInterval(app.app.policy.overlap), writer: &writer)
            record.credential.keyID = newKeyID
            record.credential.state = .current
            try updateCredentialMeta(id: record.id, app: app.id, credential: record.credential, writer: &writer)
            try writer.audit(
                .certificateActivate, app: app.app.label, appID: app.app.appID, keyID: newKeyID,
                detail: newKeyID == keyID.lowercased() ? "pending → current" : "pending → current, key ID was \(keyID.lowercased())")
            return record
        }
    }

    /// The certificate `keyID` of the app `name` and its private key, as the PEM of a
    /// ``CertificateBundle``, for an explicit export; the export is audited. Admin only.
    public func exportCertificate(of name: String, keyID: String, now: Date = Date()) throws -> SecureBytes {
        let signing = try signingCertificate(of: name, keyID: keyID)
        try write(now: now) { writer in
            let app = try findApp(writer.db, name)
            try writer.audit(.certificateExport, app: app.app.label, appID: app.app.appID, keyID: signing.keyID, detail: "private key written out")
        }
        return CertificateBundle.encode(certificate: signing.certificate, key: signing.privateKey)
    }

    /// The current credential of the app `name` (metadata only; one row read), if it has one:
    /// tells what the app signs in with without reading every credential.
    public func currentCredential(of name: String) throws -> Credential? {
        do {
            return try credential(of: name, keyID: nil).credential
        } catch let error as VaultError where error.code == .credentialNotFound {
            return nil
        }
    }

    /// The credential `keyID` of the app `name`, or its current one; metadata only.
    private func credential(of name: String, keyID: String?) throws -> CredentialRecord {
        try read { db in
            let app = try findApp(db, name)
            let row: StoredRow?
            if let keyID {
                row = try db.row(sql: "SELECT \(Self.credentialColumnsWithoutValue) FROM credentials WHERE app = ? AND key_id_hash = ?",
                    arguments: [app.id.data, try lookupHash("key-id", keyID)])
            } else {
                row = try db.row(sql: "SELECT \(Self.credentialColumnsWithoutValue) FROM credentials WHERE app = ? AND state = 'current'", arguments: [app.id.data])
            }
            guard let row else { throw VaultError.credentialNotFound(app: app.app.label, keyID: keyID?.lowercased()) }
            return try decodeCredential(row)
        }
    }
}

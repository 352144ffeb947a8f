import Foundation
import Storage

/// Applies one round of the tenant's changes inside a vault write (see
/// ``Vault/applyTenantRound(_:scanner:readFrom:now:)``): every app and credential is read once, then
/// only what differs is written.
struct TenantRoundApplier {
    let vault: Vault
    let scanner: AppRecord
    let now: Date
    var summary = TenantSyncSummary()
    private var apps: [RecordID: AppRecord] = [:]
    private var byObjectID: [String: RecordID] = [:]
    private var byAppID: [String: RecordID] = [:]
    private var credentials: [RecordID: [CredentialRecord]] = [:]
    /// The object ids of the applications this scanner saw before this round (its last state).
    let known: Set<String>
    private var seen: Set<String> = []
    private var removedNow: Set<String> = []
    /// The service principals this scanner saw before this round, their app IDs by object id.
    let knownPrincipals: [String: String]
    private var seenPrincipals: [String: String] = [:]
    private var removedPrincipals: Set<String> = []

    /// At most this many drift and refusal lines are kept; the summary counts them all.
    static let lineLimit = 200

    init(vault: Vault, scanner: AppRecord, known: Set<String>, knownPrincipals: [String: String] = [:], db: any StorageTransaction, now: Date) throws {
        self.vault = vault
        self.scanner = scanner
        self.known = known
        self.knownPrincipals = knownPrincipals
        self.now = now
        let context = try vault.metadataContext()
        var credentials: [RecordID: [CredentialRecord]] = [:]
        try db.forEachRow(sql: "SELECT \(Vault.credentialColumnsWithoutValue) FROM credentials") { row in
            let record = try vault.decodeCredential(row, context: context)
            credentials[record.appRecordID, default: []].append(record)
        }
        self.credentials = credentials
        for row in try db.rows(sql: "SELECT * FROM apps") {
            let record = try vault.decodeApp(row, context: context)
            apps[record.id] = record
            byAppID[record.app.appID] = record.id
            if let objectID = record.app.objectID { byObjectID[objectID] = record.id }
        }
    }

    // MARK: Applications

    /// The object ids the scanner knows once this round is applied: for a full round what it
    /// listed, else what it knew, plus what it listed, less what it named removed.
    func knownAfter(fullRound: Bool) -> Set<String> {
        fullRound ? seen : known.union(seen).subtracting(removedNow)
    }

    /// The service principals the scanner knows once their round is applied, as ``knownAfter(fullRound:)``.
    func knownPrincipalsAfter(fullRound: Bool) -> [String: String] {
        if fullRound { return seenPrincipals }
        return knownPrincipals.merging(seenPrincipals) { _, new in new }.filter { !removedPrincipals.contains($0.key) }
    }

    mutating func apply(_ application: TenantApplication, writer: inout VaultWriter) throws {
        let objectID = application.objectID.lowercased()
        guard Validation.isGUID(objectID) else {
            return refuse("an application whose id \(Self.quoted(objectID)) is not a GUID")
        }
        // Seen, whatever else is wrong with it: an application refused below is still in the
        // tenant, and a full round must not take it for removed.
        seen.insert(objectID)
        let appID = application.appID?.lowercased()
        if let appID, !Validation.isGUID(appID) {
            return refuse("application \(objectID): its app ID \(Self.quoted(appID)) is not a GUID")
        }
        guard let id = byObjectID[objectID] ?? appID.flatMap({ byAppID[$0] }) else {
            return try register(application, holder: .application, objectID: objectID, appID: appID, writer: &writer)
        }
        guard var record = checkedRecord(id, what: "application \(objectID)") else { return }
        guard record.app.monitored else { return reportDrift(of: record, against: application, holder: .application) }
        if record.app.objectID != objectID {
            record.app.objectID = objectID
            try rewrite(record, writer: &writer)
        }
        try reconcile(application, holder: .application, app: record, writer: &writer)
    }

    /// Applies a service principal's credentials to the app with its app ID, registering one
    /// (monitored) when the vault has none: the app of a gallery or SAML enterprise app is
    /// usually registered in another tenant.
    mutating func apply(servicePrincipal principal: TenantApplication, writer: inout VaultWriter) throws {
        let objectID = principal.objectID.lowercased()
        guard Validation.isGUID(objectID) else {
            return refuse("a service principal whose id \(Self.quoted(objectID)) is not a GUID")
        }
        // An update lists "at least the changed properties": the app ID of one seen before is kept.
        guard let appID = principal.appID?.lowercased() ?? knownPrincipals[objectID] ?? seenPrincipals[objectID] else {
            return refuse("service principal \(objectID) is new to this scanner but its app ID was not listed")
        }
        guard Validation.isGUID(appID) else {
            return refuse("service principal \(objectID): its app ID \(Self.quoted(appID)) is not a GUID")
        }
        seenPrincipals[objectID] = appID
        // A managed identity's certificates are Azure's to rotate, never a person's.
        guard principal.servicePrincipalType != "ManagedIdentity" else { return }
        guard let id = byAppID[appID] else {
            // Most service principals hold no credential (Microsoft's own apps, consented
            // third-party apps): only one that holds some is worth an app in the vault.
            guard !(principal.secrets ?? []).isEmpty || !(principal.certificates ?? []).isEmpty else { return }
            return try register(principal, holder: .servicePrincipal, objectID: nil, appID: appID, writer: &writer)
        }
        guard let record = checkedRecord(id, what: "service principal \(objectID)") else { return }
        guard record.app.monitored else { return reportDrift(of: record, against: principal, holder: .servicePrincipal) }
        try reconcile(principal, holder: .servicePrincipal, app: record, writer: &writer)
    }

    /// The app `id`, if it is in the scanner's tenant and cloud; else refused as `what`.
    private mutating func checkedRecord(_ id: RecordID, what: String) -> AppRecord? {
        let record = apps[id]!
        guard record.app.tenant == scanner.app.tenant, record.app.cloud == scanner.app.cloud else {
            refuse("\(what): the vault holds its app ID under tenant \(record.app.tenant) (\(record.app.cloud.rawValue)), not this scanner's; left alone")
            return nil
        }
        return record
    }

    /// Brings the credentials `holder` holds for the monitored app `record` in line with `listed`.
    private mutating func reconcile(_ listed: TenantApplication, holder: CredentialHolder, app record: AppRecord, writer: inout VaultWriter) throws {
        var held = credentials[record.id] ?? []
        var keyIDs = Set<String>()
        for (kind, items) in [(CredentialKind.secret, listed.secrets), (.certificate, listed.certificates)] {
            guard let items else { continue }
            // Present is what Graph listed with a valid key id, even if another field of it was
            // refused: a credential refused for a bad date is not taken for deleted.
            let present = Set(items.map { $0.keyID.lowercased() }.filter(Validation.isGUID))
            let incoming = checked(items, kind: kind, holder: holder, app: record.app.label, keyIDs: &keyIDs)
            try reconcile(kind, holder: holder, listed: incoming, present: present, held: &held, app: record, writer: &writer)
        }
        try assignCurrent(&held, app: record, writer: &writer)
        credentials[record.id] = held
    }

    private mutating func register(_ application: TenantApplication, holder: CredentialHolder, objectID: String?, appID: String?, writer: inout VaultWriter) throws {
        let what = holder == .application ? "application" : "service principal"
        guard let appID else { return refuse("\(what) \(objectID ?? application.objectID) is new to the vault but its app ID was not listed") }
        let label = try vault.freeLabel(displayName: application.displayName, appID: appID, writer.db)
        let app = App(label: label, appID: appID, tenant: scanner.app.tenant, cloud: scanner.app.cloud, issuer: .entraID, monitored: true, objectID: objectID)
        var keyIDs = Set<String>()
        var incoming = checked(application.secrets ?? [], kind: .secret, holder: holder, app: label, keyIDs: &keyIDs)
        incoming += checked(application.certificates ?? [], kind: .certificate, holder: holder, app: label, keyIDs: &keyIDs)
        let record = try vault.insertApp(
            app, auditAs: .tenantAppAdd, detail: "found in the tenant (its \(what)) with \(incoming.count) credential(s)", writer: &writer)
        let current = Self.current(of: incoming)
        var held: [CredentialRecord] = []
        for var credential in incoming {
            credential.state = credential.keyID == current ? .current : .previous
            held.append(try vault.storeCredential(credential, value: nil, secretKey: nil, for: record, audited: false, writer: &writer))
        }
        apps[record.id] = record
        byAppID[appID] = record.id
        if let objectID { byObjectID[objectID] = record.id }
        credentials[record.id] = held
        summary.appsAdded += 1
        summary.credentialsAdded += held.count
    }

    /// Graph's delta query named the application removed. Only an application this scanner
    /// knows is acted on: another scanner's view of the tenant is its own.
    mutating func removed(objectID: String, writer: inout VaultWriter) throws {
        guard Validation.isGUID(objectID), known.contains(objectID) || seen.contains(objectID) else { return }
        removedNow.insert(objectID)
        guard let id = byObjectID[objectID], let record = apps[id], record.app.tenant == scanner.app.tenant else { return }
        try retireAll(of: record, holder: .application, why: "removed from the tenant", writer: &writer)
    }

    /// Graph's delta query named the service principal removed: its credentials are retired,
    /// if this scanner knows it, as ``removed(objectID:writer:)`` does for an application.
    mutating func removed(servicePrincipal objectID: String, writer: inout VaultWriter) throws {
        guard Validation.isGUID(objectID), let appID = knownPrincipals[objectID] ?? seenPrincipals[objectID] else { return }
        removedPrincipals.insert(objectID)
        seenPrincipals[objectID] = nil
        // Deleted and created again between two syncs: the new one, listed in this round, holds
        // the app's service-principal credentials now.
        guard !seenPrincipals.values.contains(appID) else { return }
        guard let id = byAppID[appID], let record = apps[id], record.app.tenant == scanner.app.tenant else { return }
        try retireAll(of: record, holder: .servicePrincipal, why: "removed from the tenant", writer: &writer)
    }

    /// After a full round of service principals: those this scanner knew and the round did not list are gone.
    mutating func removeUnseenPrincipals(writer: inout VaultWriter) throws {
        let gone = Set(knownPrincipals.filter { seenPrincipals[$0.key] == nil }.values).subtracting(seenPrincipals.values)
            .compactMap { byAppID[$0].flatMap { apps[$0] } }
            .filter { $0.app.tenant == scanner.app.tenant && $0.app.cloud == scanner.app.cloud }
        for record in gone.sorted(by: { $0.app.label < $1.app.label }) {
            try retireAll(of: record, holder: .servicePrincipal, why: "missing from a full read of the tenant", writer: &writer)
        }
    }

    /// After a full round: the applications this scanner knew and the round did not list are gone.
    /// Only those: a scanner that sees part of the tenant (an `OwnedBy` rotator) leaves the
    /// applications other scanners found alone.
    mutating func removeUnseen(writer: inout VaultWriter) throws {
        let gone = known.subtracting(seen).compactMap { byObjectID[$0].flatMap { apps[$0] } }
            .filter { $0.app.tenant == scanner.app.tenant && $0.app.cloud == scanner.app.cloud }
        for record in gone.sorted(by: { $0.app.label < $1.app.label }) {
            try retireAll(of: record, holder: .application, why: "missing from a full read of the tenant", writer: &writer)
        }
    }

    /// Retires the credentials `holder` holds for `record`: its app registration or its service
    /// principal is gone, and the other's credentials stay as they are.
    private mutating func retireAll(of record: AppRecord, holder: CredentialHolder, why: String, writer: inout VaultWriter) throws {
        var held = credentials[record.id] ?? []
        let active = held.indices.filter { held[$0].credential.state != .retired && held[$0].credential.holder == holder }
        let what = holder == .application ? "application" : "service principal"
        guard record.app.monitored else {
            if !active.isEmpty { drift("\(record.app.label): the \(what) was \(why), but the vault still holds \(active.count) credential(s) for it") }
            return
        }
        guard !active.isEmpty else { return }
        for index in active { try retire(&held[index], app: record, writer: &writer) }
        try assignCurrent(&held, app: record, writer: &writer)
        credentials[record.id] = held
        try writer.audit(
            .tenantAppRemoved, app: record.app.label, appID: record.app.appID, detail: "its \(what) was \(why); \(active.count) credential(s) kept as retired")
        if holder == .application { summary.appsRemoved += 1 } else { summary.servicePrincipalsRemoved += 1 }
        summary.credentialsRemoved += active.count
    }

    /// Marks a credential retired and wipes its value, as a rotation's retirement does.
    private func retire(_ record: inout CredentialRecord, app: AppRecord, writer: inout VaultWriter) throws {
        record.credential.state = .retired
        record.credential.retireAfter = nil
        try vault.updateCredentialMeta(id: record.id, app: app.id, credential: record.credential, writer: &writer)
        if record.hasValue {
            try writer.update("credentials", id: record.id, [("secret", nil)])
            record = CredentialRecord(id: record.id, appRecordID: record.appRecordID, credential: record.credential, hasValue: false)
        }
    }

    private mutating func rewrite(_ record: AppRecord, writer: inout VaultWriter) throws {
        let labelHash = try vault.lookupHash("label", record.app.label)
        let appIDHash = try vault.lookupHash("app-id", record.app.appID)
        let meta = try vault.sealApp(record.app, id: record.id, labelHash: labelHash, appIDHash: appIDHash)
        try writer.update("apps", id: record.id, [("meta", meta), ("updated_at", writer.timestamp)])
        apps[record.id] = record
        if let objectID = record.app.objectID { byObjectID[objectID] = record.id }
    }

    // MARK: Owners

    /// Records who owns each app of the scanner's tenant, managed or monitored: owners are the
    /// tenant's facts about the app, and change nothing the vault does with it.
    mutating func apply(owners: TenantOwners, writer: inout VaultWriter) throws {
        for (listedAppID, listed) in owners.byAppID.sorted(by: { $0.key < $1.key }) {
            let appID = listedAppID.lowercased()
            guard Validation.isGUID(appID), let id = byAppID[appID], var record = apps[id],
                  record.app.tenant == scanner.app.tenant, record.app.cloud == scanner.app.cloud else { continue }
            let checked = checked(listed, app: record.app.label)
            guard record.app.owners != checked else { continue }
            record.app.owners = checked
            try rewrite(record, writer: &writer)
            summary.ownersChanged += 1
        }
    }

    /// The owners Graph listed, as the vault keeps them: one whose id is not a GUID is refused,
    /// a name with control characters dropped; sorted, so that the same owners compare equal.
    private mutating func checked(_ listed: [TenantOwner], app: String) -> [AppOwner] {
        var result: [String: AppOwner] = [:]
        for owner in listed {
            let objectID = owner.objectID.lowercased()
            guard Validation.isGUID(objectID) else {
                refuse("\(app): an owner whose id \(Self.quoted(objectID)) is not a GUID")
                continue
            }
            let kind: AppOwner.Kind = switch owner.type {
            case "#microsoft.graph.user": .user
            case "#microsoft.graph.servicePrincipal": .servicePrincipal
            default: .other
            }
            let usable = { (text: String?) in text.flatMap { (try? Validation.printable($0, field: "owner", maximumCount: 256)) != nil && !$0.isEmpty ? $0 : nil } }
            let name = kind == .user ? usable(owner.userPrincipalName) ?? usable(owner.displayName) : usable(owner.displayName)
            guard result.count < AppOwner.maximumCount || result[objectID] != nil else {
                refuse("\(app): more than \(AppOwner.maximumCount) owners; the first \(AppOwner.maximumCount) are kept")
                break
            }
            result[objectID] = AppOwner(objectID: objectID, kind: kind, name: name.flatMap { $0.utf8.count <= 1_024 ? $0 : nil })
        }
        return result.values.sorted { ($0.name ?? "~", $0.objectID) < ($1.name ?? "~", $1.objectID) }
    }

    // MARK: Credentials

    private mutating func reconcile(
        _ kind: CredentialKind, holder: CredentialHolder, listed: [Credential], present: Set<String>, held: inout [CredentialRecord], app: AppRecord,
        writer: inout VaultWriter
    ) throws {
        for index in held.indices where held[index].credential.kind == kind && held[index].credential.holder == holder
            && held[index].credential.state != .retired && !present.contains(held[index].credential.keyID) {
            try retire(&held[index], app: app, writer: &writer)
            try writer.audit(
                .tenantCredentialRemoved, app: app.app.label, appID: app.app.appID, keyID: held[index].credential.keyID,
                detail: "\(kind.rawValue) deleted in the tenant; kept as retired")
            summary.credentialsRemoved += 1
        }
        for credential in listed {
            guard let index = held.firstIndex(where: { $0.credential.keyID == credential.keyID }) else {
                held.append(try vault.storeCredential(credential, value: nil, secretKey: nil, for: app, audited: false, writer: &writer))
                try writer.audit(
                    .tenantCredentialAdd, app: app.app.label, appID: app.app.appID, keyID: credential.keyID,
                    detail: "\(kind.rawValue), \(Self.expiry(credential.expires))")
                summary.credentialsAdded += 1
                continue
            }
            var mine = held[index].credential
            guard mine.kind == kind, mine.holder == holder else {
                refuse("\(app.app.label): \(mine.kind.rawValue) \(mine.keyID) of the \(mine.holder.rawValue) is listed as a \(kind.rawValue) of the \(holder.rawValue) now; left as it was")
                continue
            }
            if mine.state == .retired {
                // Listed again: an application restored from deleted items brings its credentials
                // back (a monitored app's credentials are retired by sync only).
                mine.state = .previous
                mine.expires = credential.expires
                mine.displayName = credential.displayName
                mine.thumbprint = credential.thumbprint
                held[index].credential = mine
                try vault.updateCredentialMeta(id: held[index].id, app: app.id, credential: mine, writer: &writer)
                try writer.audit(
                    .tenantCredentialAdd, app: app.app.label, appID: app.app.appID, keyID: mine.keyID,
                    detail: "\(kind.rawValue) listed in the tenant again, \(Self.expiry(mine.expires))")
                summary.credentialsAdded += 1
                continue
            }
            let endChanged = mine.expires.map(Vault.epochSeconds) != credential.expires.map(Vault.epochSeconds)
            guard endChanged || mine.displayName != credential.displayName || mine.thumbprint != credential.thumbprint else { continue }
            let detail = endChanged ? "end date \(Self.expiry(mine.expires)) → \(Self.expiry(credential.expires))" : "display name or thumbprint changed"
            mine.expires = credential.expires
            mine.displayName = credential.displayName
            mine.thumbprint = credential.thumbprint
            held[index].credential = mine
            try vault.updateCredentialMeta(id: held[index].id, app: app.id, credential: mine, writer: &writer)
            try writer.audit(.tenantCredentialChange, app: app.app.label, appID: app.app.appID, keyID: mine.keyID, detail: detail)
            summary.credentialsChanged += 1
        }
    }

    /// The secret that expires last is `current`, the other live credentials `previous`: for an
    /// app the vault only monitors, that is the secret its users most likely have. A certificate
    /// is never `current`, nor is a service principal's credential: rotation, once an admin takes
    /// the app over, manages the app registration's secrets only.
    private func assignCurrent(_ held: inout [CredentialRecord], app: AppRecord, writer: inout VaultWriter) throws {
        let current = Self.current(of: held.map(\.credential).filter { $0.state != .retired })
        for index in held.indices where held[index].credential.state != .retired {
            let state: CredentialState = held[index].credential.keyID == current ? .current : .previous
            guard held[index].credential.state != state else { continue }
            held[index].credential.state = state
            held[index].credential.retireAfter = nil
            try vault.updateCredentialMeta(id: held[index].id, app: app.id, credential: held[index].credential, writer: &writer)
        }
    }

    static func current(of credentials: [Credential]) -> String? {
        credentials.filter { $0.kind == .secret && $0.holder == .application }.max { ($0.expires ?? .distantFuture, $0.validFrom, $0.keyID) < ($1.expires ?? .distantFuture, $1.validFrom, $1.keyID) }?.keyID
    }

    /// The credentials Graph listed, as the vault stores them; a credential whose key id is not
    /// a GUID, repeats, or whose dates are out of range is refused, and a display name, hint or
    /// thumbprint that is not what Graph documents is dropped.
    private mutating func checked(
        _ listed: [TenantCredential], kind: CredentialKind, holder: CredentialHolder, app: String, keyIDs: inout Set<String>
    ) -> [Credential] {
        var result: [Credential] = []
        for item in listed {
            let keyID = item.keyID.lowercased()
            guard Validation.isGUID(keyID), keyIDs.insert(keyID).inserted else {
                refuse("\(app): a \(kind.rawValue) whose key id \(Self.quoted(keyID)) is not a GUID or is listed twice")
                continue
            }
            guard [item.start, item.end].allSatisfy({ $0.map(Self.isStorable) ?? true }) else {
                refuse("\(app): \(kind.rawValue) \(keyID) has a start or end date outside 1970–9999")
                continue
            }
            let displayName = item.displayName.flatMap { (try? Validation.printable($0, field: "display-name", maximumCount: 256)) != nil ? $0 : nil }
            let hint = item.hint.flatMap { $0.count <= 3 && (try? Validation.printable($0, field: "hint", maximumCount: 3)) != nil ? $0 : nil }
            let thumbprint = item.thumbprint.flatMap { text in
                text.count == 40 && text.allSatisfy(Validation.isHexDigit) ? text.uppercased() : nil
            }
            result.append(Credential(
                keyID: keyID, hint: kind == .secret ? hint ?? "" : "", created: now.wholeSeconds, validFrom: (item.start ?? now).wholeSeconds,
                expires: item.end?.wholeSeconds, state: .previous, displayName: displayName, kind: kind, thumbprint: kind == .certificate ? thumbprint : nil, holder: holder))
        }
        return result
    }

    static func isStorable(_ date: Date) -> Bool { (0...253_402_300_799).contains(date.timeIntervalSince1970) }

    // MARK: Managed apps

    /// An app the vault manages is the admin's: differences are reported, never applied.
    private mutating func reportDrift(of record: AppRecord, against application: TenantApplication, holder: CredentialHolder) {
        let held = (credentials[record.id] ?? []).filter { $0.credential.holder == holder }
        let whose = holder == .application ? "" : " of its service principal"

        let label = record.app.label
        for (kind, listed) in [(CredentialKind.secret, application.secrets), (.certificate, application.certificates)] {
            guard let listed else { continue }
            let listedIDs = Set(listed.map { $0.keyID.lowercased() })
            for credential in held.map(\.credential) where credential.kind == kind && credential.state != .retired && !listedIDs.contains(credential.keyID) {
                drift("\(label): the vault's \(credential.state.rawValue) \(kind.rawValue)\(whose) \(credential.keyID) is no longer in the tenant")
            }
            let heldIDs = Set(held.map(\.credential.keyID))
            for keyID in listedIDs.sorted() where Validation.isGUID(keyID) && !heldIDs.contains(keyID) {
                drift("\(label): \(kind.rawValue)\(whose) \(keyID) in the tenant is not in the vault")
            }
        }
    }

    private mutating func drift(_ line: String) {
        summary.driftCount += 1
        if summary.drift.count < Self.lineLimit { summary.drift.append(line) }
    }

    private mutating func refuse(_ line: String) {
        summary.refusedCount += 1
        if summary.refused.count < Self.lineLimit { summary.refused.append(line) }
    }

    /// A value from Graph in a message: at most 40 characters, control characters shown as `?`.
    static func quoted(_ text: String) -> String {
        "\"" + String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).map { $0.properties.generalCategory == .control ? "?" : $0 })) + "\""
    }

    static func expiry(_ date: Date?) -> String { date.map { "expires \(DateParser.format($0))" } ?? "no expiry" }
}

import Foundation
import Storage

/// The tenant's applications in the vault: `secrets sync` applies a round of Graph's delta
/// query here, and keeps where the round ended.
extension Vault {
    static func tenantSyncBinding(id: RecordID) -> RecordCipher.Binding {
        RecordCipher.Binding(table: "tenant_syncs", column: "meta", row: id)
    }

    func decodeTenantSync(_ row: StoredRow) throws -> (id: RecordID, state: TenantSyncState) {
        let id = RecordID(try row["id"] as Data)
        let state = try cipher.openJSON(TenantSyncState.self, from: row["meta"], key: keys.metadataCipherKey, binding: Self.tenantSyncBinding(id: id))
        try authenticate(table: "tenant_syncs", row: row)
        return (id, state)
    }

    /// Where the last sync with the scanner app `name` left its tenant; `nil` before the first.
    /// A reader can ask.
    public func tenantSyncState(scanner name: String) throws -> TenantSyncState? {
        try read { db in
            let scanner = try findApp(db, name)
            return try tenantSyncState(db, scanner: scanner.id)
        }
    }

    /// Where every scanner left its tenant, by the scanner's label (for monitoring: a sync that
    /// stopped running shows as an old ``TenantSyncState/lastRound``). A reader can ask.
    public func tenantSyncStates() throws -> [(scanner: String, state: TenantSyncState)] {
        try read { db in
            guard try db.tableExists("tenant_syncs") else { return [] }
            return try db.rows(sql: "SELECT * FROM tenant_syncs").map { row in
                let sync = try decodeTenantSync(row)
                return (try appRecord(db, id: sync.id).app.label, sync.state)
            }.sorted { $0.scanner < $1.scanner }
        }
    }

    func tenantSyncState(_ db: any StorageTransaction, scanner: RecordID) throws -> TenantSyncState? {
        guard try db.tableExists("tenant_syncs"),
              let row = try db.row(sql: "SELECT * FROM tenant_syncs WHERE id = ?", arguments: [scanner.data])
        else { return nil }
        return try decodeTenantSync(row).state
    }

    /// Forgets where the scanner `app` left its tenant (the app is being removed).
    func deleteTenantSync(of app: RecordID, writer: inout VaultWriter) throws {
        guard try writer.db.tableExists("tenant_syncs") else { return }
        try writer.delete("tenant_syncs", id: app)
    }

    /// Applies one round of the tenant's changes, read as the scanner app `scanner`, and keeps
    /// the round's delta link for the next one.
    ///
    /// The whole round and its link are one transaction: a sync that fails or is killed before
    /// it commits leaves the vault as it was, with the previous link, and the next run reads the
    /// same changes again (applying a round twice changes nothing the second time). Graph's
    /// answers are checked field by field; what is not as Graph documents it is refused
    /// (``TenantSyncSummary/refused``) and the rest applied.
    ///
    /// - Applications the vault does not know are registered *monitored* (``App/monitored``):
    ///   issuer Entra ID, the scanner's tenant and cloud, a label from the display name (or the
    ///   app ID when that is taken or unusable), their credentials' metadata and no values.
    /// - For a monitored app, credentials new in the tenant are added, changed end dates and
    ///   display names updated, and credentials deleted in the tenant marked `retired`, each with
    ///   an audit entry; the one that expires last is `current`. An application removed from
    ///   the tenant (or missing from a full round) has its credentials retired.
    /// - An app the vault manages (not monitored) is never changed: where it differs from the
    ///   tenant, ``TenantSyncSummary/drift`` says so.
    ///
    /// - Service principals' credentials (a round with ``TenantChanges/holder`` `.servicePrincipal`,
    ///   when given) are applied to the app with the same app ID, registered monitored when the
    ///   vault has none, held by the service principal (``CredentialHolder``): monitored only,
    ///   never current, and retired when the service principal is removed, whatever becomes of
    ///   the app registration, and the other way round. The vault becomes format 4.
    /// - Owners (``TenantOwners``, when given) are recorded on every app of the scanner's tenant
    ///   they name by app ID, managed or monitored (``App/owners``): they change nothing the vault
    ///   does with the app. The vault becomes format 4.
    ///
    /// - Parameters:
    ///   - round: a round of the tenant's app registrations.
    ///   - servicePrincipals: a round of its service principals, read after `round`, if any.
    ///   - owners: every application's owners, read after the rounds, if they were.
    ///   - readFrom: the scanner's state when the round's read began (``tenantSyncState(scanner:)``,
    ///     `nil` when there was none). When another sync stored a round meanwhile, this older
    ///     one is not applied over it.
    /// - Throws: ``VaultError`` when the vault is damaged, the scanner unknown, the caller not an
    ///   admin, or ``VaultError/busy(reason:)`` when another sync stored a round since `readFrom`.
    @discardableResult
    public func applyTenantRound(
        _ round: TenantChanges, servicePrincipals: TenantChanges? = nil, owners: TenantOwners? = nil, scanner name: String, readFrom: TenantSyncState?, now: Date = Date()
    ) throws -> TenantSyncSummary {
        for link in [round.deltaLink, servicePrincipals?.deltaLink].compactMap({ $0 }) {
            guard link.utf8.count <= 16_384, (try? Validation.printable(link, field: "delta-link", maximumCount: 16_384)) != nil else {
                throw VaultError.invalidValue(field: "delta-link", reason: "Graph's delta link is longer than 16384 bytes or holds control characters; nothing was stored")
            }
        }
        guard round.holder == .application, servicePrincipals.map({ $0.holder == .servicePrincipal }) ?? true else {
            throw VaultError.invalidValue(field: "round", reason: "the rounds given are not of app registrations and service principals, in that order; nothing was stored")
        }
        return try write(now: now) { writer in
            // Sync acts on what the vault holds, so it checks the whole vault first, as rotate does.
            try checkIntegrity(writer.db)
            let scanner = try findApp(writer.db, name)
            let stored = try tenantSyncState(writer.db, scanner: scanner.id)
            guard stored == readFrom else {
                throw VaultError.busy(reason: "another sync as \(scanner.app.label) stored a round while this one was reading; nothing was applied, run sync again")
            }
            // An older `secrets` would not count this table in the signed digest and take the
            // vault for tampered: the format says it needs a newer one.
            try VaultSchema.createTenantSyncs(writer.db)
            let format = servicePrincipals == nil && owners == nil ? VaultSchema.tenantSyncFormat : VaultSchema.tenantDetailFormat
            try writer.raiseFormat(to: format)
            let sameTenant = stored?.tenant == scanner.app.tenant
            let known = sameTenant ? Set(stored?.objectIDs ?? []) : []
            var applier = try TenantRoundApplier(
                vault: self, scanner: scanner, known: known, knownPrincipals: sameTenant ? stored?.servicePrincipals ?? [:] : [:], db: writer.db, now: writer.now)
            applier.summary.fullRound = round.isFullRound
            applier.summary.resyncReason = round.resyncReason
            applier.summary.pages = round.pages
            applier.summary.applicationsSeen = round.applications.count
            for application in round.applications { try applier.apply(application, writer: &writer) }
            for objectID in round.removedObjectIDs { try applier.removed(objectID: objectID.lowercased(), writer: &writer) }
            if round.isFullRound { try applier.removeUnseen(writer: &writer) }
            if let principals = servicePrincipals {
                applier.summary.servicePrincipalsRead = true
                applier.summary.servicePrincipalsFullRound = principals.isFullRound
                applier.summary.servicePrincipalsResyncReason = principals.resyncReason
                applier.summary.servicePrincipalPages = principals.pages
                applier.summary.servicePrincipalsSeen = principals.applications.count
                for principal in principals.applications { try applier.apply(servicePrincipal: principal, writer: &writer) }
                for objectID in principals.removedObjectIDs { try applier.removed(servicePrincipal: objectID.lowercased(), writer: &writer) }
                if principals.isFullRound { try applier.removeUnseenPrincipals(writer: &writer) }
            }
            if let owners {
                applier.summary.ownersRead = true
                applier.summary.ownerRequests = owners.requests
                try applier.apply(owners: owners, writer: &writer)
            }
            var state = TenantSyncState(
                tenant: scanner.app.tenant, deltaLink: round.deltaLink, lastRound: writer.now.wholeSeconds,
                lastFullRound: round.isFullRound || !sameTenant ? writer.now.wholeSeconds : stored?.lastFullRound ?? writer.now.wholeSeconds,
                objectIDs: applier.knownAfter(fullRound: round.isFullRound).sorted())
            if let principals = servicePrincipals {
                state.servicePrincipalDeltaLink = principals.deltaLink
                state.lastServicePrincipalRound = state.lastRound
                state.lastServicePrincipalFullRound = principals.isFullRound ? state.lastRound : stored?.lastServicePrincipalFullRound ?? state.lastRound
                state.servicePrincipals = applier.knownPrincipalsAfter(fullRound: principals.isFullRound)
            } else if sameTenant, let stored {
                // Kept as they were: the next sync with --service-principals goes on from there.
                state.servicePrincipalDeltaLink = stored.servicePrincipalDeltaLink
                state.lastServicePrincipalRound = stored.lastServicePrincipalRound
                state.lastServicePrincipalFullRound = stored.lastServicePrincipalFullRound
                state.servicePrincipals = stored.servicePrincipals
            }
            try storeTenantSyncState(state, scanner: scanner, isNew: stored == nil, writer: &writer)
            let summary = applier.summary
            try writer.audit(
                .tenantSync, app: scanner.app.label, appID: scanner.app.appID,
                detail: "\(round.isFullRound ? "full" : "incremental") round of \(round.pages) page(s), \(round.applications.count) application(s)"
                    + (servicePrincipals.map { ", \($0.isFullRound ? "full" : "incremental") round of \($0.pages) page(s), \($0.applications.count) service principal(s)" } ?? "")
                    + ": "
                    + "\(summary.appsAdded) app(s) added, \(summary.appsRemoved) removed, \(summary.servicePrincipalsRemoved) service principal(s) removed; \(summary.credentialsAdded) credential(s) added, "
                    + "\(summary.credentialsChanged) changed, \(summary.credentialsRemoved) removed; "
                    + (owners == nil ? "" : "owners of \(summary.ownersChanged) app(s) changed; ")
                    + "\(summary.driftCount) drift, \(summary.refusedCount) refused")
            return summary
        }
    }

    private func storeTenantSyncState(_ state: TenantSyncState, scanner: AppRecord, isNew: Bool, writer: inout VaultWriter) throws {
        let meta = try cipher.sealJSON(state, key: keys.metadataCipherKey, binding: Self.tenantSyncBinding(id: scanner.id))
        if isNew {
            try writer.insert("tenant_syncs", [("id", scanner.id.data), ("updated_at", writer.timestamp), ("meta", meta)])
        } else {
            try writer.update("tenant_syncs", id: scanner.id, [("updated_at", writer.timestamp), ("meta", meta)])
        }
    }

    /// A label for an application found in the tenant: its display name when that is a usable,
    /// free label, else its app ID (numbered when even that is taken, since any label may be a GUID).
    ///
    /// A display name is anyone's who may register an app: one shaped like a GUID could take the
    /// app ID of an app added later (names are looked up as labels first), and invisible
    /// formatting characters make a label look like another, so neither becomes a label.
    func freeLabel(displayName: String?, appID: String, _ db: any StorageTransaction) throws -> String {
        if let name = displayName?.trimmingCharacters(in: .whitespaces), !name.isEmpty, (try? Validation.label(name)) != nil,
           !Validation.isGUID(name), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .format }),
           try findAppIfPresent(db, name) == nil {
            return name
        }
        var label = appID
        var suffix = 2
        while try findAppIfPresent(db, label) != nil {
            label = "\(appID)-\(suffix)"
            suffix += 1
        }
        return label
    }
}

import ClientSecrets
import Foundation

/// Retiring previous secrets. Whether a previous secret may be retired is decided in one place,
/// ``mayRetire(_:open:now:)``, which the plan, the run and the retire step itself all ask.
extension RotationEngine {
    /// Why `credential` may not be retired now, or `nil` when it may: it is `previous`, its
    /// overlap has passed, no person is waiting to confirm a deployment (the previous secret is
    /// the one that still works where they have not acted), no open rollback is redeploying it,
    /// and no other retirement of it is open (`open` are the app's open rows, without the
    /// retirement asking).
    static func mayRetire(_ credential: Credential, open: [RotationJournal], now: Date) -> String? {
        guard credential.state == .previous else { return "it is \(credential.state.rawValue)" }
        // Rotation creates and removes secrets, and the certificates the vault made or imported
        // (an app rolling its own); a certificate only found by `secrets sync` is the tenant's.
        guard credential.kind == .secret || credential.certificate != nil else { return "it is a certificate the vault only monitors, which rotation does not manage" }
        // A service principal's secret is not the app registration's: removePassword cannot reach it.
        guard credential.holder == .application else { return "its service principal holds it, and rotation manages the app registration's secrets only" }
        guard (credential.retireAfter ?? .distantPast) <= now else { return "its overlap has not passed" }
        if RotationState(open: open).waitsForPerson { return "a person has not confirmed the new secret is in place yet" }
        if open.contains(where: { $0.kind == .rollback && $0.keyID == credential.keyID }) { return "an unfinished rollback redeploys it" }
        if open.contains(where: { $0.kind == .retire && $0.keyID == credential.keyID }) { return "its retirement is already under way" }
        return nil
    }

    /// The previous secrets among `credentials` that may be retired now.
    static func retirable(_ credentials: [Credential], open: [RotationJournal], now: Date) -> [Credential] {
        credentials.filter { mayRetire($0, open: open, now: now) == nil }
    }

    /// The previous secrets of `app` that may be retired, read again after the resumes: a
    /// confirmation may have released one, a rollback may have made one current.
    func retirable(_ app: AppRecord, after plan: RotationPlan) async throws -> [Credential] {
        // A confirmation or a finished rollback can release a key the plan could not list.
        let resumedWaitOrRollback = plan.resume.contains { $0.step == .confirm || $0.kind == .rollback }
        guard !plan.retire.isEmpty || resumedWaitOrRollback else { return [] }
        let label = app.app.label
        let (credentials, open) = try await commits.read { vault in
            (try vault.overview(of: label).credentials.map(\.credential), try vault.openJournals(of: app.id))
        }
        return Self.retirable(credentials, open: open, now: options.clock())
    }

    /// retire: remove a previous secret at the issuer, then mark it retired and wipe its value.
    /// The credential is read again first: one that became current again (a rollback) or whose
    /// overlap was extended is left alone.
    func retire(keyID: String, context: StepContext, result: inout AppRotationResult, journal existing: RotationJournal? = nil) async throws {
        let app = context.app
        let now = options.clock()
        var journal: RotationJournal
        if let existing {
            journal = existing
        } else {
            journal = RotationJournal(
                id: try RecordID.random(), appRecordID: app.id, kind: .retire, step: .retire, status: .started,
                rotationID: UUID().uuidString.lowercased(), keyID: keyID, started: now, updated: now)
            try await commits.write { [vault, journal] writer in try vault.insertJournal(journal, writer: &writer) }
        }
        let label = app.app.label
        let rowID = journal.id
        let (credential, open) = try await commits.read { vault in
            (try vault.overview(of: label).credentials.first { $0.credential.keyID == keyID }?.credential,
             try vault.openJournals(of: app.id).filter { $0.id != rowID })
        }
        // The last word before the issuer removes it (a check that asks the issuer goes here).
        let blocker = credential.map { Self.mayRetire($0, open: open, now: now) } ?? "it is gone"
        if let blocker {
            result.notes.append("key \(keyID) was not retired: \(blocker)")
            return try await close(&journal, status: .finished, error: nil)
        }
        // A retirement left open by an earlier run was cleared by a sign-in check that may be
        // hours old: something may have signed in with the key since. Asked again; a key in use
        // now is postponed (the note says so) and the row closed without removing it.
        if existing != nil, let credential, try await clearedByUsage([credential], context: context, result: &result).isEmpty {
            return try await close(&journal, status: .finished, error: nil)
        }
        progress(RotationEvent(label: label, message: "retiring key \(keyID)"))
        let removal: SecretRemoval
        do {
            try await removeLateOrphans(context: context, result: &result)
            removal = try await context.issuer.removeSecretReporting(keyID: keyID)
        } catch {
            journal.status = .failed
            journal.lastError = "\(error)"
            try await save(&journal)
            throw error
        }
        try await close(&journal, status: .finished, error: nil) { vault, writer in
            try vault.retire(app: app, keyID: keyID, reason: "overlap over, \(removal.wording)", from: [.previous], writer: &writer)
        }
        result.retired.append(keyID)
        if removal != .removed { result.notes.append("key \(keyID) retired: \(removal.wording)") }
    }

    /// Removes secrets at the issuer that carry the id of one of this app's finished rotations
    /// but that the vault never held.
    ///
    /// An attempt of a create whose answer was lost (a timeout) can still be carried out by the
    /// issuer after the retry that succeeded, and after the sweep for duplicates that followed
    /// it; nobody ever saw its value. Retiring, which comes after the rotation, removes it. A
    /// marker that names no rotation of this vault (another vault's, or a person's) is left alone.
    func removeLateOrphans(context: StepContext, result: inout AppRotationResult) async throws {
        guard context.issuer.keepsPreviousSecret else { return }
        let label = context.app.app.label
        let (finished, known) = try await commits.read { vault in
            (Set(try vault.journal(of: label).filter { $0.kind == .rotate && !$0.isOpen }.map(\.rotationID)),
             Set(try vault.overview(of: label).credentials.map { $0.credential.keyID.lowercased() }))
        }
        for secret in IssuedSecretCheck.listed(try await context.issuer.secrets(markedWith: RotationJournal.displayNamePrefix)).valid
        where !known.contains(secret.keyID.lowercased())
            && finished.contains(RotationJournal.rotationID(inDisplayName: secret.displayName ?? "") ?? "") {
            try await context.issuer.removeSecret(keyID: secret.keyID)
            result.notes.append("removed key \(secret.keyID) at the issuer: \(secret.displayName ?? "?") made it after that rotation ended, and its value was never seen")
        }
    }

}

import ClientSecrets
import Foundation

/// What the create step does with an issuer's answer before it is stored: the check, and what
/// happens when the answer is refused.
extension RotationEngine {
    /// `answer` checked by ``IssuedSecretCheck`` against this rotation and the keys the vault
    /// already holds for the app.
    func checked(_ answer: IssuedSecret, of journal: RotationJournal, requestedExpiry: Date, context: StepContext) async throws -> IssuedSecret {
        let known = try await knownKeyIDs(of: journal.appRecordID)
        let check = IssuedSecretCheck(started: journal.started, requestedExpiry: requestedExpiry, now: options.clock(), knownKeyIDs: known)
        return try check.check(answer)
    }

    /// The issuer answered something the vault must not hold: a definitive failure of this
    /// rotation, written to the audit log. The issuer may hold a new secret nobody can use (its
    /// answer named another key id, or a value that was dropped), so the secrets marked with this
    /// rotation's id are swept at once; if the sweep fails, the row stays open and the next run
    /// sweeps before anything else. An issuer without overlap has already killed the old secret,
    /// so its row stays open too: the next run asks for a new secret again.
    func reject(_ failure: any Error, of journal: inout RotationJournal, context: StepContext, result: inout AppRotationResult) async throws {
        let app = context.app
        let label = app.app.label
        let reason = "create failed: \(failure)"
        let detail = "rotation \(journal.rotationID): \(failure)"
        let audit: VaultChange = { _, writer in
            try writer.audit(.rotationReject, outcome: .failed, app: app.app.label, appID: app.app.appID, detail: detail)
        }
        if context.issuer.keepsPreviousSecret {
            var swept = true
            do {
                try await removeOrphans(of: journal, issuer: context.issuer)
            } catch {
                swept = false
                result.notes.append(
                    "could not remove the secret the issuer may have made (\(error)); the next `secrets rotate \(label)` removes it first")
            }
            if swept {
                try await close(&journal, status: .failed, error: reason, alongside: audit)
                result.notes.append("nothing of the issuer's answer was stored; any secret it made for this rotation was removed at the issuer")
                return
            }
        } else {
            result.notes.append(
                "nothing of the issuer's answer was stored, and the issuer may already have replaced the old secret; run `secrets rotate \(label)` again now (if it can no longer authenticate, create a new secret at the issuer and store it with `secrets secret add \(label)`)")
        }
        journal.status = .failed
        journal.lastError = reason
        try await save(&journal, alongside: audit)
    }

    /// The key ids the vault holds for the app, in any state.
    func knownKeyIDs(of appRecordID: RecordID) async throws -> Set<String> {
        try await commits.read { vault in
            try vault.read { db in
                let app = try vault.appRecord(db, id: appRecordID)
                return Set(try vault.credentials(db, of: app).map { $0.credential.keyID.lowercased() })
            }
        }
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation
import Logging

/// The steps. Each journal write records that the step before it ended and the step after it is
/// about to act, so a crash anywhere leaves a row naming the one step to repeat. Every write
/// names the row's revision it read, so two processes never both advance one row.
extension RotationEngine {
    /// Starts a new rotation of the app, unless another process already did (the plan may be stale).
    func rotate(context: StepContext, force: Bool, result: inout AppRotationResult) async throws {
        let app = context.app
        let now = options.clock()
        let current = try await commits.read { try $0.overview(of: app.app.label).current }
        let journal = RotationJournal(
            id: try RecordID.random(), appRecordID: app.id, kind: .rotate, step: .create, status: .started,
            rotationID: UUID().uuidString.lowercased(), expires: now.addingTimeInterval(app.app.policy.lifetime).wholeSeconds,
            previousKeyID: current?.keyID, started: now, updated: now)
        try await commits.write { [vault] writer in
            // Checked inside the write transaction, so two processes cannot both start one.
            if try vault.openJournals(writer.db, of: app.id).contains(where: { $0.kind == .rotate }) {
                throw RotationFailure.misconfigured("another rotation of \(app.app.label) is unfinished; run `secrets rotate \(app.app.label)` to resume it")
            }
            let currentNow = try vault.credentials(writer.db, of: app).first { $0.credential.state == .current }?.credential
            guard force || RotationSchedule.due(current: currentNow, policy: app.app.policy, now: now).isDue,
                  currentNow?.keyID == journal.previousKeyID
            else {
                throw RotationSkipped()
            }
            if !BrokenEngine.on(.journalAfterCreate) { try vault.insertJournal(journal, writer: &writer) }
        }
        try await advance(journal, context: context, resumed: false, result: &result)
    }

    /// Carries a journal row forward until it is closed.
    func advance(_ start: RotationJournal, context: StepContext, resumed: Bool, result: inout AppRotationResult) async throws {
        var journal = start
        switch journal.kind {
        case .retire:
            guard let keyID = journal.keyID else { return try await close(&journal, status: .failed, error: "the journal row names no key") }
            return try await retire(keyID: keyID, context: context, result: &result, journal: journal)
        case .rollback:
            return try await rollback(journal, context: context, resumed: resumed, result: &result)
        case .rotate:
            break
        }
        if resumed, journal.step != .confirm { try await removeOrphans(of: journal, issuer: context.issuer) }
        let label = context.app.app.label
        while journal.isOpen {
            progress(RotationEvent(label: label, message: journal.step.rawValue))
            DiagnosticLog.rotation.debug("step", metadata: [
                "app": "\(label)", "rotation": "\(journal.rotationID)", "kind": "\(journal.kind.rawValue)",
                "step": "\(journal.step.rawValue)", "status": "\(journal.status.rawValue)",
            ])
            switch (journal.step, journal.status) {
            case (.create, _):
                try await create(&journal, context: context, result: &result)
            case (.deploy, .started):
                let reached = ConsumerCount()
                let needPerson = try await guarded(&journal, context: context, resumed: resumed, result: &result, reached: reached) { delivery in
                    // Wait until the issuer accepts the new secret before any consumer sees it: a
                    // consumer that tests on save, as Jamf Pro does, would refuse a secret that has
                    // not replicated yet.
                    var notes: [String] = []
                    var needPerson: [Int] = []
                    if !context.consumers.isEmpty {
                        notes.append("issuer ready: " + (try await context.issuer.verify(keyID: delivery.credential.keyID, value: delivery.value)))
                    }
                    for (index, consumer) in context.consumers.enumerated() {
                        // Counted before the call: a consumer that failed half-way (a hook killed
                        // after it wrote the secret) may hold it, so it is given the old one back too.
                        reached.value += 1
                        let outcome = try await consumer.deploy(delivery)
                        if case .needsPerson = outcome { needPerson.append(index) }
                        notes.append("deploy \(consumer.summary): \(outcome.message)")
                    }
                    if context.consumers.isEmpty { notes.append("deploy: no consumers configured") }
                    return (notes, needPerson)
                }
                journal.awaitsPerson = journal.awaitsPerson || !needPerson.isEmpty
                journal.personConsumers = Array(Set(journal.personConsumers + needPerson)).sorted()
                try await move(&journal, to: .verify)
                if BrokenEngine.on(.retireBeforeVerify), let previous = journal.previousKeyID {
                    try? await context.issuer.removeSecret(keyID: previous)
                }
            case (.verify, .started):
                let personConsumers = Set(journal.personConsumers)
                let unverified = try await guarded(
                    &journal, context: context, resumed: resumed, result: &result, reached: ConsumerCount(context.consumers.count)
                ) { delivery in
                    var notes = ["verify issuer: " + (try await context.issuer.verify(keyID: delivery.credential.keyID, value: delivery.value))]
                    var unverified = false
                    for (index, consumer) in context.consumers.enumerated() {
                        if personConsumers.contains(index) {
                            // Nobody has entered the new secret there yet: only the person can say.
                            notes.append("verify \(consumer.summary): not checked; a person puts key \(delivery.credential.keyID) in place and confirms")
                            unverified = true
                            continue
                        }
                        let outcome = try await consumer.verify(delivery)
                        // "Not verified yet" is never "verified": the app waits for a person.
                        if case .needsPerson = outcome, consumer.unverifiedWaitsForPerson, !BrokenEngine.on(.staleCanary) { unverified = true }
                        notes.append("verify \(consumer.summary): \(outcome.message)")
                    }
                    return (notes, unverified)
                }
                journal.awaitsPerson = journal.awaitsPerson || unverified
                try await move(&journal, to: .promote)
            case (.promote, _):
                guard let keyID = journal.keyID else { throw RotationFailure.misconfigured("the journal row names no new key") }
                let app = context.app
                journal.step = journal.awaitsPerson ? .confirm : .closed
                journal.status = journal.awaitsPerson ? .started : .finished
                try await save(&journal) { vault, writer in try vault.promote(app: app, keyID: keyID, writer: &writer) }
                result.newKeyID = keyID
                result.newExpiry = journal.expires
            case (.confirm, _):
                guard options.confirmedDeployments.contains(label.lowercased()), context.confirmable.contains(journal.id) else {
                    throw RotationFailure.needsPerson(
                        "key \(journal.keyID ?? "?") of \(label) is current in the vault, but it is not confirmed in place at every consumer: put it in place (`secrets jamf payload \(label) --reveal --format text`), check it works, then run `secrets rotate \(label) --confirm-deployed`; the previous secret is kept until then")
                }
                try await close(&journal, status: .finished, error: nil)
                result.notes.append("you confirmed key \(journal.keyID ?? "?") is in place; the previous secret is retired after its overlap")
            case (.deploy, .failed), (.verify, .failed):
                // For issuers that already killed the old secret, delivering the new one is the
                // only way forward, so the step is simply tried again.
                try await move(&journal, to: context.issuer.keepsPreviousSecret ? .abort : journal.step)
            case (.abort, _):
                try await abort(&journal, context: context, result: &result)
                throw RotationFailure.consumerFailed("an earlier rotation failed and has now been undone: \(journal.lastError ?? "no reason recorded")")
            case (.deploy, .finished), (.verify, .finished):
                try await move(&journal, to: journal.step == .deploy ? .verify : .promote)
            case (.retire, _), (.rollback, _), (.closed, _):
                return
            }
        }
    }

    /// create: ask the issuer, then store the secret and move to deploy in one commit.
    private func create(_ journal: inout RotationJournal, context: StepContext, result: inout AppRotationResult) async throws {
        let app = context.app
        let issued: IssuedSecret
        let requestedExpiry = journal.expires ?? options.clock().addingTimeInterval(app.app.policy.lifetime)
        do {
            let name = RotationJournal.displayName(rotationID: journal.rotationID, description: app.app.secretDescription)
            let answer = try await context.issuer.createSecret(SecretRequest(displayName: name, expires: requestedExpiry))
            issued = try await checked(answer, of: journal, requestedExpiry: requestedExpiry, context: context)
        } catch {
            result.failingStep = .create
            if (error as? RotationFailure)?.code == .invalidAnswer {
                try await reject(error, of: &journal, context: context, result: &result)
                throw error
            }
            if context.issuer.keepsPreviousSecret, Self.isDefinitive(error) {
                // Refused outright: nothing was made, so there is nothing to resume.
                try? await removeOrphans(of: journal, issuer: context.issuer)
                try await close(&journal, status: .failed, error: "create failed: \(error)")
            } else {
                // The answer may have been lost after the issuer acted (and a Jamf Pro API client's
                // old secret may already be dead): the next run resumes here.
                journal.status = .failed
                journal.lastError = "create failed: \(error)"
                try await save(&journal)
                result.notes.append(context.issuer.keepsPreviousSecret
                    ? "the issuer may have created a secret before the failure; the next `secrets rotate \(app.app.label)` removes it and tries again"
                    : "the issuer may already have replaced the old secret; run `secrets rotate \(app.app.label)` again now")
            }
            throw error
        }
        var next = journal
        next.keyID = issued.keyID
        next.step = .deploy
        next.status = .started
        next.lastError = nil
        let keepsPrevious = context.issuer.keepsPreviousSecret
        // The value exists nowhere else: a busy vault is waited out rather than losing it.
        var attempt = 0
        while true {
            do {
                let late = BrokenEngine.on(.journalAfterCreate) ? journal : nil
                try await save(&next) { vault, writer in
                    if let late { try vault.insertJournal(late, writer: &writer) }
                    try vault.storeIssued(issued, app: app, keepsPrevious: keepsPrevious, writer: &writer)
                }
                break
            } catch let error as VaultError where error.code == .storage && attempt < 4 {
                attempt += 1
                try await Task.sleep(for: .seconds(1))
            } catch let caught as RotationFailure where caught.code == .invalidAnswer {
                let text = caught.reason
                // The key id became the vault's between the check and this commit (another process).
                let failure = RotationFailure.invalidAnswer(text)
                result.failingStep = .create
                try await reject(failure, of: &journal, context: context, result: &result)
                throw failure
            }
        }
        journal = next
        progress(RotationEvent(label: app.app.label, message: "created key \(issued.keyID)"))
    }

    /// Failures after which the issuer certainly made nothing.
    static func isDefinitive(_ error: any Error) -> Bool {
        guard let code = (error as? RotationFailure)?.code else { return false }
        return [.policyRejected, .permissionDenied, .authenticationFailed, .notFound, .misconfigured, .needsPerson].contains(code)
    }

    /// Runs a deploy or verify body with the new secret; on failure, records it and goes on to
    /// abort (or, for issuers that kill the old secret, leaves it to be retried).
    private func guarded<Flag>(
        _ journal: inout RotationJournal, context: StepContext, resumed: Bool, result: inout AppRotationResult, reached: ConsumerCount,
        _ body: (SecretDelivery) async throws -> ([String], Flag)
    ) async throws -> Flag {
        let failedStep = journal.step
        var delivered: SecretDelivery?
        do {
            let delivery = try await delivery(for: journal.keyID, previous: journal.previousKeyID, context: context, rotationID: journal.rotationID)
            delivered = delivery
            let (notes, flag) = try await body(delivery)
            result.notes += notes
            return flag
        } catch {
            result.failingStep = RotationStep(failedStep)
            journal.status = .failed
            // What a consumer or its server said is stored where readers read it: whatever form
            // of the secret it echoed is cut out first (a hostile server may echo anything).
            let scrubber = SecretScrubber(secrets: delivered.map { [$0.value] } ?? [])
            journal.lastError = scrubber.scrub("\(failedStep.rawValue) failed: \(error)")
            try await save(&journal)
            if context.issuer.keepsPreviousSecret {
                try await move(&journal, to: .abort)
                // A resumed step cannot know whom an earlier attempt reached: everyone gets the old one.
                try await abort(&journal, context: context, result: &result, restoring: resumed ? nil : reached.value)
            } else {
                result.notes.append(
                    "the issuer has already invalidated the old secret; fix the problem and run `secrets rotate \(context.app.app.label)` to deliver the new one")
            }
            throw error
        }
    }

    /// abort: consumers that may hold the new secret get the old one back, then the new one is
    /// removed at the issuer and retired. `restoring` is how many consumers (in order) may have
    /// been given the new secret; `nil` means all of them (a resumed abort cannot know).
    func abort(_ journal: inout RotationJournal, context: StepContext, result: inout AppRotationResult, restoring: Int? = nil) async throws {
        let app = context.app
        let label = app.app.label
        guard let newKeyID = journal.keyID else { return try await close(&journal, status: .failed, error: journal.lastError ?? "aborted") }
        let restore = context.consumers.prefix(restoring ?? context.consumers.count)
        if !restore.isEmpty {
            do {
                guard let oldKeyID = journal.previousKeyID else {
                    throw RotationFailure.misconfigured("there was no current secret before this rotation")
                }
                let delivery = try await delivery(for: oldKeyID, previous: nil, context: context, rotationID: journal.rotationID)
                for consumer in restore where !BrokenEngine.on(.abortWithoutRestore) { _ = try await consumer.deploy(delivery) }
            } catch {
                result.notes.append(
                    "the new key \(newKeyID) stays pending (not removed) because consumers that may hold it could not be given back the old secret (\(error)); `secrets rotate \(label)` tries again, `secrets rotate \(label) --abandon` gives up on it")
                throw RotationFailure.consumerFailed("could not give the old secret back to consumers: \(error)")
            }
        }
        do {
            try await context.issuer.removeSecret(keyID: newKeyID)
        } catch {
            result.notes.append(
                "the new key \(newKeyID) is left pending in the vault and at the issuer because removing it failed (\(error)); `secrets rotate \(label)` retries")
            throw error
        }
        let reason = "rotation \(journal.rotationID) failed and was undone"
        try await close(&journal, status: .failed, error: journal.lastError) { vault, writer in
            try vault.retire(app: app, keyID: newKeyID, reason: reason, from: [.pending], writer: &writer)
        }
        // What this run asked a person to do with the new key is void now: say so, once.
        let void = result.notes.filter { $0.contains(newKeyID) }
        result.notes.removeAll { $0.contains(newKeyID) }
        let withdrawn = void.isEmpty ? "" : " (\(void.count) earlier note(s) about it are void: nothing needs entering)"
        result.notes.append("the old key \(journal.previousKeyID ?? "-") stays current; the new key \(newKeyID) was removed at the issuer\(withdrawn)")
    }

    /// Removes secrets at the issuer that carry this rotation's id but are not the one the journal
    /// stored. A key the vault holds is never removed here, whatever the issuer's listing says of
    /// its name, nor is one listed under a key id that is not a GUID (see ``IssuedSecretCheck``).
    func removeOrphans(of journal: RotationJournal, issuer: any Issuer) async throws {
        // The issuer's listing is a search; only a name that opens with this rotation's marker counts.
        let listed = IssuedSecretCheck.listed(try await issuer.secrets(markedWith: journal.rotationID)).valid
            .filter { RotationJournal.rotationID(inDisplayName: $0.displayName ?? "") == journal.rotationID }
        guard listed.contains(where: { $0.keyID != journal.keyID }) else { return }
        let known = try await knownKeyIDs(of: journal.appRecordID)
        for orphan in listed where orphan.keyID != journal.keyID && !known.contains(orphan.keyID) {
            try await issuer.removeSecret(keyID: orphan.keyID)
        }
    }

    func delivery(for keyID: String?, previous: String?, context: StepContext, rotationID: String?) async throws -> SecretDelivery {
        guard let keyID else { throw RotationFailure.misconfigured("the journal row names no key") }
        let label = context.app.app.label
        return try await commits.read { vault in
            let overview = try vault.overview(of: label)
            guard let credential = overview.credentials.first(where: { $0.credential.keyID == keyID })?.credential else {
                throw VaultError.credentialNotFound(app: label, keyID: keyID)
            }
            let previousCredential = previous.flatMap { key in overview.credentials.first { $0.credential.keyID == key }?.credential }
            let value = credential.kind == .certificate ? try vault.certificateBundle(of: label, keyID: keyID) : try vault.secretValue(of: label, keyID: keyID)
            return SecretDelivery(
                app: overview.record.app, credential: credential, value: value,
                previous: previousCredential, rotationID: rotationID)
        }
    }

    func move(_ journal: inout RotationJournal, to step: RotationJournal.Step) async throws {
        journal.step = step
        journal.status = .started
        try await save(&journal)
    }

    /// A change to the vault made in the same commit as a journal write.
    typealias VaultChange = @Sendable (Vault, inout VaultWriter) throws -> Void

    func close(
        _ journal: inout RotationJournal, status: RotationJournal.Status, error: String?, alongside change: VaultChange? = nil
    ) async throws {
        journal.step = .closed
        journal.status = status
        journal.lastError = error
        try await save(&journal, alongside: change)
    }

    /// Writes the row (compare-and-swap on its revision), with `change` in the same commit, and
    /// advances the local revision. Nothing changes locally if the commit fails.
    func save(_ journal: inout RotationJournal, alongside change: VaultChange? = nil) async throws {
        var next = journal
        next.updated = options.clock()
        try await commits.write { [vault, next] writer in
            try change?(vault, &writer)
            try vault.updateJournal(next, writer: &writer)
        }
        next.revision += 1
        journal = next
    }
}

/// Thrown when the app is no longer due by the time the rotation would start: another process
/// rotated it after this run planned.
struct RotationSkipped: Error {}

/// How many consumers a deploy reached, kept outside the step so that abort knows whom to restore.
final class ConsumerCount: @unchecked Sendable {
    // Only touched by the one task running the step.
    var value: Int
    init(_ value: Int = 0) { self.value = value }
}

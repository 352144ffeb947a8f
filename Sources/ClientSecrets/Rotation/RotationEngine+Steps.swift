import CryptoPrimitives
import Foundation

/// The steps. Each journal write records that the step before it ended and the step after it is
/// about to act, so a crash anywhere leaves a row naming the one step to repeat.
extension RotationEngine {
    /// Starts a new rotation of the app.
    func rotate(context: StepContext, result: inout AppRotationResult) async throws {
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
            try vault.insertJournal(journal, writer: &writer)
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
            return try await rollback(journal, context: context, result: &result)
        case .rotate:
            break
        }
        if resumed { try await removeOrphans(of: journal, issuer: context.issuer) }
        while journal.isOpen {
            progress(RotationEvent(label: context.app.app.label, message: journal.step.rawValue))
            switch (journal.step, journal.status) {
            case (.create, _):
                try await create(&journal, context: context, result: &result)
            case (.deploy, .started):
                let reached = ConsumerCount()
                try await guarded(&journal, context: context, result: &result, reached: reached) { delivery in
                    // Wait until the issuer accepts the new secret before any consumer sees it: a
                    // consumer that tests on save, as Jamf Pro does, would refuse a secret that has
                    // not replicated yet.
                    var notes: [String] = []
                    if !context.consumers.isEmpty {
                        notes.append("issuer ready: " + (try await context.issuer.verify(keyID: delivery.credential.keyID, value: delivery.value)))
                    }
                    for consumer in context.consumers {
                        let outcome = try await consumer.deploy(delivery)
                        // A consumer that throws kept what it had (the SecretConsumer contract),
                        // so only those that took the new secret are given the old one back.
                        reached.value += 1
                        notes.append("deploy \(consumer.summary): \(outcome.message)")
                    }
                    if context.consumers.isEmpty { notes.append("deploy: no consumers configured") }
                    return notes
                }
                try await move(&journal, to: .verify)
            case (.verify, .started):
                try await guarded(&journal, context: context, result: &result, reached: ConsumerCount(context.consumers.count)) { delivery in
                    var notes = ["verify issuer: " + (try await context.issuer.verify(keyID: delivery.credential.keyID, value: delivery.value))]
                    for consumer in context.consumers {
                        let outcome = try await consumer.verify(delivery)
                        notes.append("verify \(consumer.summary): \(outcome.message)")
                    }
                    return notes
                }
                try await move(&journal, to: .promote)
            case (.promote, _):
                guard let keyID = journal.keyID else { throw RotationFailure.misconfigured("the journal row names no new key") }
                var closing = journal
                closing.step = .closed
                closing.status = .finished
                closing.updated = options.clock()
                let app = context.app
                try await commits.write { [vault, closing] writer in
                    try vault.promote(app: app, keyID: keyID, writer: &writer)
                    try vault.updateJournal(closing, writer: &writer)
                }
                journal = closing
                result.newKeyID = keyID
                result.newExpiry = journal.expires
            case (.deploy, .failed), (.verify, .failed):
                if context.issuer.keepsPreviousSecret {
                    journal.step = .abort
                    journal.status = .started
                    try await save(journal)
                } else {
                    // The old secret is already dead at the issuer: the only way forward is to
                    // deliver the new one, so a failed deploy or verify is simply tried again.
                    journal.status = .started
                    try await save(journal)
                }
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
        do {
            issued = try await context.issuer.createSecret(
                SecretRequest(displayName: journal.displayName, expires: journal.expires ?? options.clock().addingTimeInterval(app.app.policy.lifetime)))
        } catch {
            result.failedStep = "create"
            result.failure = "\(error)"
            // The request may have created a secret whose answer was lost: find it by its name.
            do {
                try await removeOrphans(of: journal, issuer: context.issuer)
                try await close(&journal, status: .failed, error: "\(error)")
            } catch {
                journal.status = .failed
                journal.lastError = "create failed and the issuer could not be searched for a secret it may have made: \(error)"
                try? await save(journal)
            }
            throw error
        }
        var next = journal
        next.keyID = issued.keyID
        next.step = .deploy
        next.status = .started
        next.updated = options.clock()
        let keepsPrevious = context.issuer.keepsPreviousSecret
        try await commits.write { [vault, next] writer in
            try vault.storeIssued(issued, app: app, keepsPrevious: keepsPrevious, writer: &writer)
            try vault.updateJournal(next, writer: &writer)
        }
        journal = next
        progress(RotationEvent(label: app.app.label, message: "created key \(issued.keyID)"))
    }

    /// Runs a deploy or verify body with the new secret; on failure, records it and moves on to
    /// abort (or, for issuers that kill the old secret, leaves it to be retried).
    private func guarded(
        _ journal: inout RotationJournal, context: StepContext, result: inout AppRotationResult, reached: ConsumerCount,
        _ body: (SecretDelivery) async throws -> [String]
    ) async throws {
        let failedStep = journal.step
        do {
            let delivery = try await delivery(for: journal.keyID, previous: journal.previousKeyID, context: context, rotationID: journal.rotationID)
            result.notes += try await body(delivery)
        } catch {
            result.failedStep = failedStep.rawValue
            result.failure = "\(error)"
            journal.status = .failed
            journal.lastError = "\(failedStep.rawValue) failed: \(error)"
            journal.updated = options.clock()
            try await save(journal)
            if context.issuer.keepsPreviousSecret {
                journal.step = .abort
                journal.status = .started
                try await save(journal)
                try await abort(&journal, context: context, result: &result, restoring: reached.value)
            } else {
                let label = context.app.app.label
                result.notes.append(
                    "the issuer has already invalidated the old secret; fix the problem and run `secrets rotate \(label)` to deliver the new one")
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
        if let oldKeyID = journal.previousKeyID, !restore.isEmpty {
            do {
                let delivery = try await delivery(for: oldKeyID, previous: nil, context: context, rotationID: journal.rotationID)
                for consumer in restore { _ = try await consumer.deploy(delivery) }
            } catch {
                journal.status = .failed
                journal.lastError = (journal.lastError ?? "") + "; consumers could not be given back key \(oldKeyID): \(error)"
                try await save(journal)
                result.notes.append(
                    "the new key \(newKeyID) stays pending (not removed) because consumers could not be given back the old key \(oldKeyID); run `secrets rotate \(label)` once they are reachable")
                throw RotationFailure.consumerFailed("could not redeploy the old key \(oldKeyID) to consumers: \(error)")
            }
        }
        do {
            try await context.issuer.removeSecret(keyID: newKeyID)
        } catch {
            journal.status = .failed
            journal.lastError = (journal.lastError ?? "") + "; removing the new key at the issuer failed: \(error)"
            try await save(journal)
            result.notes.append(
                "the new key \(newKeyID) is left pending in the vault and at the issuer because removing it failed (\(error)); `secrets rotate \(label)` retries")
            throw error
        }
        var closing = journal
        closing.step = .closed
        closing.status = .failed
        closing.updated = options.clock()
        try await commits.write { [vault, closing] writer in
            try vault.retire(app: app, keyID: newKeyID, reason: "rotation \(closing.rotationID) failed and was undone", writer: &writer)
            try vault.updateJournal(closing, writer: &writer)
        }
        journal = closing
        result.notes.append("the old key \(journal.previousKeyID ?? "-") stays current; the new key \(newKeyID) was removed at the issuer")
    }

    /// retire: remove a previous secret at the issuer, then mark it retired and wipe its value.
    func retire(keyID: String, context: StepContext, result: inout AppRotationResult, journal existing: RotationJournal? = nil) async throws {
        let app = context.app
        var journal: RotationJournal
        if let existing {
            journal = existing
        } else {
            let now = options.clock()
            journal = RotationJournal(
                id: try RecordID.random(), appRecordID: app.id, kind: .retire, step: .retire, status: .started,
                rotationID: UUID().uuidString.lowercased(), keyID: keyID, started: now, updated: now)
            try await commits.write { [vault, journal] writer in try vault.insertJournal(journal, writer: &writer) }
        }
        progress(RotationEvent(label: app.app.label, message: "retiring key \(keyID)"))
        do {
            try await context.issuer.removeSecret(keyID: keyID)
        } catch {
            journal.status = .failed
            journal.lastError = "\(error)"
            journal.updated = options.clock()
            try await save(journal)
            result.failedStep = "retire"
            throw error
        }
        var closing = journal
        closing.step = .closed
        closing.status = .finished
        closing.updated = options.clock()
        try await commits.write { [vault, closing] writer in
            try vault.retire(app: app, keyID: keyID, reason: "overlap over, removed at the issuer", writer: &writer)
            try vault.updateJournal(closing, writer: &writer)
        }
        result.retired.append(keyID)
    }

    /// Removes secrets at the issuer that carry this rotation's id but are not the one the journal stored.
    func removeOrphans(of journal: RotationJournal, issuer: any Issuer) async throws {
        for orphan in try await issuer.secrets(markedWith: journal.rotationID) where orphan.keyID != journal.keyID {
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
            return SecretDelivery(
                app: overview.record.app, credential: credential, value: try vault.secretValue(of: label, keyID: keyID),
                previous: previousCredential, rotationID: rotationID)
        }
    }

    func move(_ journal: inout RotationJournal, to step: RotationJournal.Step) async throws {
        journal.step = step
        journal.status = .started
        try await save(journal)
    }

    func close(_ journal: inout RotationJournal, status: RotationJournal.Status, error: String?) async throws {
        journal.step = .closed
        journal.status = status
        journal.lastError = error
        try await save(journal)
    }

    func save(_ journal: RotationJournal) async throws {
        var stamped = journal
        stamped.updated = options.clock()
        try await commits.write { [vault, stamped] writer in try vault.updateJournal(stamped, writer: &writer) }
    }
}

/// How many consumers a deploy reached, kept outside the step so that abort knows whom to restore.
final class ConsumerCount: @unchecked Sendable {
    // Only touched by the one task running the step.
    var value: Int
    init(_ value: Int = 0) { self.value = value }
}

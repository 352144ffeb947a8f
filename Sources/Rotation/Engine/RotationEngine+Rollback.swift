import ClientSecrets
import Foundation

extension RotationEngine {
    /// Makes the app's previous secret current again, redeploys it and verifies the consumers.
    ///
    /// The secret it replaces becomes `previous`, due for retirement once the rollback is done.
    /// A consumer that needs a person (no apply command, a canary not reported yet) makes the
    /// rollback wait at ``RotationJournal/Step/confirm`` for `rotate APP --confirm-deployed`
    /// (the result is ``AppRotationResult/Status/waiting``). Refused when the app's
    /// ``RotationState`` does not allow it, when the issuer invalidates old secrets (a Jamf Pro
    /// API client), or when the previous secret has expired, been retired, or has no stored value.
    public func rollback(_ name: String) async -> AppRotationResult {
        var result = AppRotationResult(label: name)
        do {
            let overview = try await commits.read { try $0.overview(of: name) }
            let app = overview.record
            let label = app.app.label
            result = AppRotationResult(label: label)
            let open = try await commits.read { try $0.openJournals(of: app.id) }
            try RotationState(open: open).check(.rollback, label: label, keepsPreviousSecret: true)
            let now = options.clock()
            let candidates = overview.credentials.filter { record in
                record.credential.state == .previous && record.hasValue && (record.credential.expires.map { $0 > now } ?? true)
            }
            guard let target = candidates.first?.credential else {
                throw RotationRefusal(waitsForPerson: false, message: "\(label) has no previous secret that is still valid and stored; nothing to roll back to (nothing was changed)")
            }
            let issuer = try await commits.read { [environment] in try environment.issuer(for: app, in: $0) }
            guard issuer.keepsPreviousSecret else {
                throw RotationRefusal(
                    waitsForPerson: false,
                    message: "the issuer of \(label) invalidated the previous secret when it made the new one; rollback is impossible (nothing was changed)")
            }
            let consumers = try await commits.read { [environment] in try environment.consumers(for: app, in: $0) }
            let journal = RotationJournal(
                id: try RecordID.random(), appRecordID: app.id, kind: .rollback, step: .rollback, status: .started,
                rotationID: UUID().uuidString.lowercased(), keyID: target.keyID, previousKeyID: overview.current?.keyID, started: now, updated: now)
            try await commits.write { [vault] writer in try vault.insertJournal(journal, writer: &writer) }
            let context = StepContext(app: app, issuer: issuer, consumers: consumers)
            try await self.rollback(journal, context: context, resumed: false, result: &result)
            result.status = .done
        } catch {
            result.refused(error, step: .rollback)
        }
        return result
    }

    /// rollback: check the old secret still works, redeploy it, verify the consumers, then switch
    /// the states; wait at confirm where a person must act.
    func rollback(_ start: RotationJournal, context: StepContext, resumed: Bool, result: inout AppRotationResult) async throws {
        var journal = start
        let label = context.app.app.label
        guard let keyID = journal.keyID else { return try await close(&journal, status: .failed, error: "the journal row names no key") }
        if journal.step == .confirm {
            guard options.confirmedDeployments.contains(label.lowercased()), context.confirmable.contains(journal.id) else {
                throw RotationFailure.needsPerson(waitMessage(keyID: keyID, label: label))
            }
            try await close(&journal, status: .finished, error: nil)
            result.notes.append("you confirmed the rolled-back key \(keyID) is in place; the secret it replaced is retired now")
            return
        }
        var deploying = false
        var needPerson = false
        var scrubber = SecretScrubber(secrets: [])
        var notes: [String] = []
        do {
            let delivery = try await delivery(for: keyID, previous: journal.previousKeyID, context: context, rotationID: nil)
            scrubber = SecretScrubber(secrets: [delivery.value])
            let check = try await context.issuer.verify(keyID: keyID, value: delivery.value)
            notes.append("verify issuer: \(check)")
            deploying = true
            var person = Set<Int>()
            for (index, consumer) in context.consumers.enumerated() {
                let outcome = try await consumer.deploy(delivery)
                if case .needsPerson = outcome { person.insert(index) }
                notes.append("deploy \(consumer.summary): \(outcome.message)")
            }
            // The consumers must work with the key they are back on, as after a rotation.
            for (index, consumer) in context.consumers.enumerated() where !person.contains(index) {
                let outcome = try await consumer.verify(delivery)
                if case .needsPerson = outcome, consumer.unverifiedWaitsForPerson, !BrokenEngine.on(.staleCanary) { person.insert(index) }
                notes.append("verify \(consumer.summary): \(outcome.message)")
            }
            needPerson = !person.isEmpty
        } catch {
            if deploying || resumed {
                // Some consumers may hold the previous secret again (an earlier attempt may have
                // deployed it): the row stays open and the next `rotate` finishes the job.
                journal.status = .failed
                journal.lastError = scrubber.scrub("\(error)")
                try await save(&journal)
            } else {
                // Nothing changed anywhere (the previous secret no longer works): give up on it.
                try await close(&journal, status: .failed, error: scrubber.scrub("\(error)"))
            }
            throw error
        }
        result.notes += notes
        let app = context.app
        if needPerson {
            journal.step = .confirm
            journal.status = .started
            journal.awaitsPerson = true
            try await save(&journal) { vault, writer in try vault.rollBack(app: app, to: keyID, writer: &writer) }
            result.newKeyID = keyID
            throw RotationFailure.needsPerson(waitMessage(keyID: keyID, label: label))
        }
        try await close(&journal, status: .finished, error: nil) { vault, writer in try vault.rollBack(app: app, to: keyID, writer: &writer) }
        result.newKeyID = keyID
    }

    private func waitMessage(keyID: String, label: String) -> String {
        "key \(keyID) of \(label) is current again (rollback), but it is not confirmed in place at every consumer: put it in place (`secrets jamf payload \(label) --reveal --format text`), check it works, then run `secrets rotate \(label) --confirm-deployed`; the secret it replaced is kept until then"
    }
}

extension RotationEngine {
    /// Gives up on the app's unfinished journal rows: a new secret still `pending` is removed at
    /// the issuer and retired; every row is closed. When the rotation got past create, every
    /// consumer is first given the current secret back, since a run (perhaps killed) may have
    /// handed it the new one; a consumer that cannot take it is named in a warning rather than
    /// keeping the new secret forever, and one a person updates is left to the person. For a
    /// rotation that cannot finish, such as one whose consumers stay unreachable.
    ///
    /// Refused, changing nothing, while the app waits for a person (its new secret is current
    /// already), while a rollback is unfinished, and for an issuer that invalidated the old
    /// secret (a Jamf Pro API client): see ``RotationState``.
    public func abandon(_ name: String) async -> AppRotationResult {
        var result = AppRotationResult(label: name)
        do {
            let app = try await commits.read { try $0.app(name) }
            result = AppRotationResult(label: app.app.label)
            let journals = try await commits.read { try $0.openJournals(of: app.id) }
            let issuer = try await commits.read { [environment] in try environment.issuer(for: app, in: $0) }
            try RotationState(open: journals).check(.abandon, label: app.app.label, keepsPreviousSecret: issuer.keepsPreviousSecret)
            let credentials = try await commits.read { try $0.overview(of: app.app.label).credentials.map(\.credential) }
            for var journal in journals {
                // A run that died inside create leaves a secret no row names yet: only its marker
                // finds it, and once the row is closed nothing would look for it again.
                if journal.kind == .rotate, issuer.keepsPreviousSecret { try await removeOrphans(of: journal, issuer: issuer) }
                let pendingKey = journal.keyID.flatMap { key in credentials.first { $0.keyID == key && $0.state == .pending }?.keyID }
                if journal.kind == .rotate, let pendingKey {
                    if journal.step != .create, let currentKey = journal.previousKeyID {
                        // Past create, a run (perhaps killed) may have handed the new secret to
                        // consumers: each gets the current one back first, as far as it can.
                        try await giveBack(currentKey, replacing: pendingKey, journal: journal, app: app, issuer: issuer, result: &result)
                    }
                    try await issuer.removeSecret(keyID: pendingKey)
                    let reason = "rotation \(journal.rotationID) abandoned"
                    try await close(&journal, status: .failed, error: "abandoned") { vault, writer in
                        try vault.retire(app: app, keyID: pendingKey, reason: reason, from: [.pending], writer: &writer)
                    }
                    result.retired.append(pendingKey)
                } else {
                    try await close(&journal, status: .failed, error: "abandoned")
                }
                result.resumed.append(journal.rotationID)
            }
            result.status = .done
        } catch {
            result.refused(error, step: .abandon)
        }
        return result
    }

    /// Deploys the current secret `currentKey` again to every consumer of `app`, for an abandoned
    /// rotation whose new secret `pendingKey` some of them may hold. A consumer that cannot take it
    /// (a broken hook: often why the rotation is abandoned) is named in a warning, not a reason to
    /// keep the new secret forever; one a person updates is named in a note.
    private func giveBack(
        _ currentKey: String, replacing pendingKey: String, journal: RotationJournal, app: AppRecord, issuer: any Issuer,
        result: inout AppRotationResult
    ) async throws {
        let consumers = try await commits.read { [environment] in try environment.consumers(for: app, in: $0) }
        guard !consumers.isEmpty else { return }
        let context = StepContext(app: app, issuer: issuer, consumers: consumers)
        let delivery = try await delivery(for: currentKey, previous: nil, context: context, rotationID: journal.rotationID)
        let scrubber = SecretScrubber(secrets: [delivery.value])
        for consumer in consumers {
            do {
                if case .needsPerson = try await consumer.deploy(delivery) {
                    result.notes.append("\(consumer.summary) is updated by a person: if it holds the abandoned key \(pendingKey), enter the current key \(currentKey) there again")
                } else {
                    result.notes.append("gave \(consumer.summary) the current key \(currentKey) back")
                }
            } catch {
                result.notes.append(
                    "warning: could not give \(consumer.summary) the current key \(currentKey) back (\(scrubber.scrub("\(error)"))); if it holds the abandoned key \(pendingKey), it stops working now that the key is removed")
            }
        }
    }
}

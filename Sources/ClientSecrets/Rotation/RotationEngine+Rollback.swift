import Foundation

extension RotationEngine {
    /// Makes the app's previous secret current again and redeploys it, while it is still valid.
    ///
    /// The secret it replaces becomes `previous`, due for retirement on the next `rotate`. Refused
    /// when the issuer invalidates old secrets (a Jamf Pro API client) or the previous secret has
    /// expired, been retired, or has no stored value.
    public func rollback(_ name: String) async -> AppRotationResult {
        var result = AppRotationResult(label: name)
        do {
            let overview = try await commits.read { try $0.overview(of: name) }
            let app = overview.record
            result = AppRotationResult(label: app.app.label)
            if let open = try await commits.read({ try $0.openJournals(of: app.id) }).first {
                throw RotationFailure.misconfigured(
                    "\(app.app.label) has an unfinished \(open.kind.rawValue) (\(open.rotationID)); run `secrets rotate \(app.app.label)` first")
            }
            let now = options.clock()
            let candidates = overview.credentials.filter { record in
                record.credential.state == .previous && record.hasValue && (record.credential.expires.map { $0 > now } ?? true)
            }
            guard let target = candidates.first?.credential else {
                throw RotationFailure.misconfigured("\(app.app.label) has no previous secret that is still valid and stored; nothing to roll back to")
            }
            let issuer = try await commits.read { [environment] in try environment.issuer(for: app, in: $0) }
            guard issuer.keepsPreviousSecret else {
                throw RotationFailure.misconfigured("the issuer of \(app.app.label) invalidated the previous secret when it made the new one; rollback is impossible")
            }
            let consumers = try await commits.read { [environment] in try environment.consumers(for: app, in: $0) }
            let journal = RotationJournal(
                id: try RecordID.random(), appRecordID: app.id, kind: .rollback, step: .rollback, status: .started,
                rotationID: UUID().uuidString.lowercased(), keyID: target.keyID, previousKeyID: overview.current?.keyID, started: now, updated: now)
            try await commits.write { [vault] writer in try vault.insertJournal(journal, writer: &writer) }
            try await self.rollback(journal, context: StepContext(app: app, issuer: issuer, consumers: consumers), result: &result)
            result.status = .done
        } catch {
            result.status = .failed
            result.failedStep = "rollback"
            result.failure = "\(error)"
        }
        return result
    }

    /// rollback: check the old secret still works, redeploy it, then switch the states.
    func rollback(_ start: RotationJournal, context: StepContext, result: inout AppRotationResult) async throws {
        var journal = start
        guard let keyID = journal.keyID else { return try await close(&journal, status: .failed, error: "the journal row names no key") }
        var deploying = false
        var scrubber = SecretScrubber(secrets: [])
        do {
            let delivery = try await delivery(for: keyID, previous: journal.previousKeyID, context: context, rotationID: nil)
            scrubber = SecretScrubber(secrets: [delivery.value])
            let check = try await context.issuer.verify(keyID: keyID, value: delivery.value)
            result.notes.append("verify issuer: \(check)")
            deploying = true
            for consumer in context.consumers {
                let outcome = try await consumer.deploy(delivery)
                result.notes.append("deploy \(consumer.summary): \(outcome.message)")
            }
        } catch {
            if deploying {
                // Some consumers may hold the previous secret again: the next run finishes the job.
                journal.status = .failed
                journal.lastError = scrubber.scrub("\(error)")
                try await save(&journal)
            } else {
                // Nothing changed anywhere (the previous secret no longer works): give up on it.
                try await close(&journal, status: .failed, error: scrubber.scrub("\(error)"))
            }
            throw error
        }
        let app = context.app
        try await close(&journal, status: .finished, error: nil) { vault, writer in try vault.rollBack(app: app, to: keyID, writer: &writer) }
        result.newKeyID = keyID
    }
}

extension RotationEngine {
    /// Gives up on the app's unfinished journal rows: a new secret still `pending` is removed at
    /// the issuer (consumers are not touched) and retired; every row is closed. For a rotation
    /// that cannot finish, such as one whose consumers stay unreachable, after a person has
    /// checked what the consumers hold.
    public func abandon(_ name: String) async -> AppRotationResult {
        var result = AppRotationResult(label: name)
        do {
            let app = try await commits.read { try $0.app(name) }
            result = AppRotationResult(label: app.app.label)
            let journals = try await commits.read { try $0.openJournals(of: app.id) }
            guard !journals.isEmpty else { throw RotationFailure.misconfigured("\(app.app.label) has no unfinished rotation to abandon") }
            let issuer = try await commits.read { [environment] in try environment.issuer(for: app, in: $0) }
            let credentials = try await commits.read { try $0.overview(of: app.app.label).credentials.map(\.credential) }
            for var journal in journals {
                let pendingKey = journal.keyID.flatMap { key in credentials.first { $0.keyID == key && $0.state == .pending }?.keyID }
                if journal.kind == .rotate, let pendingKey {
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
            result.status = .failed
            result.failedStep = "abandon"
            result.failure = "\(error)"
        }
        return result
    }
}

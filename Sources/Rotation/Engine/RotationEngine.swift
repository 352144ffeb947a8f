import ClientSecrets
import CryptoPrimitives
import Foundation
import Logging

/// Rotates app secrets with an overlap: create → deploy → verify → promote, and later retire,
/// each step journaled in the vault so that a crash or a failure is resumed by the next run.
///
/// ```swift
/// let engine = RotationEngine(vault: vault, environment: myEnvironment)
/// let plans = try engine.plan(.due)            // what would happen, without touching anything
/// let results = await engine.run(.due)         // do it, up to `concurrency` apps at a time
/// ```
///
/// The guarantees: a rotation that fails before promote leaves the old secret current and valid,
/// redeploys it to consumers and removes the new one at the issuer; a secret the issuer created
/// but the vault never stored is found by its display name (`secrets:<rotation id>`) and removed;
/// a previous secret is removed only after its overlap has passed.
///
/// Hold the vault's ``VaultLock`` while an engine runs (as `secrets rotate` does): the commands
/// that rekey or remove apps take it too, so none of them cuts into a rotation.
public struct RotationEngine: Sendable {
    /// How a run behaves.
    public struct Options: Sendable {
        /// How many apps rotate at once.
        public var concurrency: Int
        /// The clock (tests move it forward to pass an overlap).
        public var clock: @Sendable () -> Date
        /// Apps (lowercased labels) whose person confirmed the new secret is in place
        /// (`rotate --confirm-deployed`), ending their wait at ``RotationJournal/Step/confirm``.
        public var confirmedDeployments: Set<String> = []
        /// Other hosts rotating the same vault (a vault on PostgreSQL, ``VaultLock/appClaims``):
        /// each app is worked on only under its claim, planned again from the vault once it is
        /// held, and an app another host holds is taken up again after the rest (see
        /// ``RotationEngine/run(_:)-([RotationPlan])``). `nil`: this run is the vault's only one.
        public var claims: (any AppClaims)?
        /// How long a run waits, after the rest, for an app another host holds.
        public var claimWait: TimeInterval = 600

        /// The default concurrency of bulk runs.
        public static let defaultConcurrency = 16

        /// Creates options.
        public init(concurrency: Int = defaultConcurrency, clock: @escaping @Sendable () -> Date = { Date() }) {
            self.concurrency = max(1, concurrency)
            self.clock = clock
        }
    }

    let vault: Vault
    let environment: any RotationEnvironment
    let options: Options
    let commits: VaultCommitQueue
    let progress: @Sendable (RotationEvent) -> Void

    /// Creates an engine over an unlocked (admin) vault.
    public init(
        vault: Vault, environment: any RotationEnvironment, options: Options = Options(),
        progress: @escaping @Sendable (RotationEvent) -> Void = { _ in }
    ) {
        self.vault = vault
        self.environment = environment
        self.options = options
        self.commits = VaultCommitQueue(vault: vault, clock: options.clock)
        self.progress = progress
    }

    /// The number of vault commits this engine made (its writes are batched across apps).
    public var commitCount: Int { commits.commitCount }

    // MARK: Planning

    /// What a run of `selection` would do, app by app, from the vault alone.
    ///
    /// - Throws: ``VaultError/appNotFound(_:)`` for a named app that does not exist, and
    ///   ``RotationFailure/misconfigured(_:)`` for a named app that is only monitored
    ///   (``App/monitored``), before anything is done.
    public func plan(_ selection: RotationSelection) throws -> [RotationPlan] {
        let now = options.clock()
        let overviews: [AppOverview]
        switch selection {
        case .apps(let names, _):
            var seen = Set<RecordID>()
            overviews = try names.map { try vault.overview(of: $0) }.filter { seen.insert($0.record.id).inserted }
            if let monitored = overviews.first(where: \.record.app.monitored) {
                let label = monitored.record.app.label
                throw RotationFailure.misconfigured(
                    "\(label) is only monitored (found by `secrets sync`): the vault holds no value of it and rotation leaves it alone; `secrets app edit \(label) --manage` (with its issuer and rotator) lets rotation manage it")
            }
        case .due, .all:
            overviews = try vault.overview()
        }
        let journals = Dictionary(grouping: try vault.openJournals(), by: \.appRecordID)
        return overviews.map { overview in
            plan(overview, open: journals[overview.record.id] ?? [], forced: selection.forcesRotation, now: now)
        }
    }

    /// One app's plan, from its overview and its open journal rows.
    func plan(_ overview: AppOverview, open: [RotationJournal], forced: Bool, now: Date) -> RotationPlan {
        let app = overview.record.app
        var (isDue, reason) = RotationSchedule.due(current: overview.current, policy: app.policy, now: now)
        if forced, !isDue {
            isDue = true
            reason = "rotating although not due (\(reason))"
        }
        let state = RotationState(open: open)
        if open.contains(where: { $0.kind == .rotate }) {
            isDue = false
            reason = "an unfinished rotation is resumed first"
        }
        // While a person has to act, the run changes nothing: no retirement (not even one
        // left unfinished, which would remove a key at the issuer) and no new rotation.
        var resume = open
        if case .waitingForPerson(let row) = state {
            resume = open.filter { $0.kind != .retire }
            if isDue {
                isDue = false
                reason = "waits for a person to confirm key \(row.keyID ?? "?") is in place"
            }
        }
        // An app `secrets sync` only monitors is the tenant's to change, not the vault's.
        var retire = Self.retirable(overview.credentials.map(\.credential), open: open, now: now)
        if app.monitored {
            isDue = false
            retire = []
            reason = "only monitored (found by `secrets sync`); `secrets app edit \(app.label) --manage` lets rotation manage it"
        }
        var plan = RotationPlan(
            label: app.label, appID: app.appID, issuer: app.issuer, resume: resume,
            retire: retire,
            rotate: isDue, reason: reason,
            newExpiry: isDue ? now.addingTimeInterval(app.policy.lifetime).wholeSeconds : nil,
            consumers: app.consumers.map { "\($0.kind.rawValue) \($0.target)" })
        plan.appRecordID = overview.record.id
        plan.credentialKind = overview.current?.kind ?? .secret
        plan.personConsumers = app.consumers.filter(\.waitsForPerson)
            .map { "\($0.kind.rawValue) \($0.target)" }
        plan.retireCheck = Self.retireCheck(of: app)
        plan.forced = forced
        plan.dependsOn = ([app.rotator].compactMap { $0 } + app.consumers.flatMap(\.appLabels)).map { $0.lowercased() }
        return plan
    }

    /// What a run asks before retiring `app`'s previous secrets, as far as the vault tells (a
    /// dry run has no issuer to ask): Entra ID's sign-in report exists in the Global cloud only.
    /// The grace is the issuer's, unknown here; `rotate --dry-run` puts in its `--usage-grace`.
    static func retireCheck(of app: App) -> RotationPlan.RetireCheck {
        guard app.issuer == .entraID else { return .overlap }
        guard app.cloud == .global else { return .noReport(reason: "Graph's sign-in report exists only in the Global cloud") }
        return .signIns(grace: nil)
    }

    // MARK: Running

    /// Runs `selection`: for each app, resumes unfinished journal rows, retires previous secrets
    /// whose overlap has passed, and rotates when due, up to ``Options/concurrency`` apps at a time.
    /// Results come back in the order of the plans.
    public func run(_ selection: RotationSelection) async throws -> [AppRotationResult] {
        let plans = try plan(selection).filter { !$0.isEmpty }
        return await run(plans)
    }

    /// Carries out `plans` (from ``plan(_:)``), up to ``Options/concurrency`` apps at a time.
    ///
    /// Apps that other planned apps depend on (a rotator, a Jamf Pro API client used to verify)
    /// go first, in a wave of their own, so nobody authenticates with a secret that is being replaced.
    public func run(_ plans: [RotationPlan]) async -> [AppRotationResult] {
        let needed = Set(plans.flatMap(\.dependsOn))
        let first = plans.indices.filter { needed.contains(plans[$0].label.lowercased()) }
        let rest = plans.indices.filter { !needed.contains(plans[$0].label.lowercased()) }
        var results = [AppRotationResult?](repeating: nil, count: plans.count)
        // The apps others depend on are waited for even when another host holds them.
        for (wave, waiting) in [(first, true), (rest, false)] where !wave.isEmpty {
            await runAll(wave.map { ($0, plans[$0]) }, into: &results, waiting: waiting)
        }
        // Apps another host held: taken up when it lets go, which for an app it finished is
        // "nothing to do" and for one it left half done (it died) is a resume.
        let held = plans.indices.filter { results[$0] == nil }
        if !held.isEmpty { await runAll(held.map { ($0, plans[$0]) }, into: &results, waiting: true) }
        return results.map { $0! }
    }

    /// Runs `items` up to ``Options/concurrency`` at a time, storing each result at its index;
    /// an app another host holds is left `nil`, unless `waiting`, when its claim is waited for.
    private func runAll(_ items: [(Int, RotationPlan)], into results: inout [AppRotationResult?], waiting: Bool) async {
        await withTaskGroup(of: (Int, AppRotationResult?).self) { group in
            var next = 0
            func launch() {
                guard next < items.count else { return }
                let (index, plan) = items[next]
                next += 1
                group.addTask { (index, await self.runClaimed(plan, waiting: waiting)) }
            }
            for _ in 0..<min(options.concurrency, items.count) { launch() }
            while let (index, result) = await group.next() {
                results[index] = result
                launch()
            }
        }
    }

    /// What the steps of `app`'s run act with: its issuer and consumers, made from the vault in one read.
    private func stepContext(for app: AppRecord, confirmable: Set<RecordID>) async throws -> StepContext {
        try await commits.read { [environment] vault in
            StepContext(
                app: app, issuer: try environment.issuer(for: app, in: vault), consumers: try environment.consumers(for: app, in: vault),
                confirmable: confirmable)
        }
    }

    /// Carries out one app's plan; never throws: a failure is in the result.
    ///
    /// A failed retirement does not stop a due rotation; a rotation left unfinished does.
    public func run(_ plan: RotationPlan) async -> AppRotationResult {
        var result = AppRotationResult(label: plan.label)
        var problems = Problems()
        DiagnosticLog.rotation.debug("app run starts", metadata: [
            "app": "\(plan.label)", "resume": "\(plan.resume.count)", "rotate": "\(plan.rotate)",
        ])
        do {
            let app = try await commits.read { vault in
                guard let id = plan.appRecordID else { return try vault.app(plan.label) }
                do {
                    return try vault.app(id: id)
                } catch let error as VaultError where error.code == .appNotFound {
                    throw VaultError.appNotFound(plan.label)  // removed since the plan: named as people know it
                }
            }
            // Only a key that waited for a person when this run began can be confirmed: the person
            // cannot have seen one that a rotation made current during the run.
            let waiting = Set(plan.resume.filter { $0.step == .confirm }.map(\.id))
            var context = try await stepContext(for: app, confirmable: waiting)
            var rotationBlocked = false
            for journal in plan.resume {
                progress(RotationEvent(label: plan.label, message: "resuming \(journal.kind.rawValue) at \(journal.step.rawValue)"))
                result.resumed.append(journal.rotationID)
                do {
                    try await advance(journal, context: context, resumed: true, result: &result)
                } catch {
                    problems.record(error, step: result.failingStep ?? RotationStep(journal.step))
                    if journal.kind != .retire { rotationBlocked = true }
                }
            }
            // A resumed rollback or rotation may have changed which credential is current, and an
            // issuer that rolls its own certificate signs with the one current when it was made:
            // the app, its issuer and its consumers are made again from the vault before anything
            // is retired (the crash harness's long mode on PostgreSQL found a resumed rollback
            // whose retirement was refused, signed with the certificate it was retiring).
            if !plan.resume.isEmpty {
                context = try await stepContext(for: try await commits.read { vault in try vault.app(id: app.id) }, confirmable: waiting)
            }
            // What to retire is read again after the resumes: a confirmation may have released a
            // previous secret, a rollback may have made one current.
            let toRetire = try await clearedByUsage(try await retirable(app, after: plan), context: context, result: &result)
            for credential in toRetire {
                do {
                    try await retire(keyID: credential.keyID, context: context, result: &result)
                } catch {
                    problems.record(error, step: .retire)
                }
            }
            if plan.rotate, !rotationBlocked {
                do {
                    result.failingStep = nil
                    try await rotate(context: context, force: plan.forced, result: &result)
                } catch is RotationSkipped {
                    result.notes.append("no longer due: another run rotated it meanwhile")
                } catch {
                    problems.record(error, step: result.failingStep ?? .create)
                }
            }
        } catch {
            problems.record(error, step: .prepare)
        }
        result.notes += problems.notes
        // Bookkeeping of this run only: two results that say the same must compare equal.
        result.failingStep = nil
        if let failure = problems.failure {
            result.status = .failed
            result.failure = failure
        } else {
            result.failure = nil
            result.status = problems.waiting ? .waiting : (plan.isEmpty ? .nothingToDo : .done)
        }
        progress(RotationEvent(label: plan.label, message: result.status.rawValue))
        // The failure's text is the one the summary prints, which never holds a secret.
        DiagnosticLog.rotation.debug("app run ends", metadata: [
            "app": "\(plan.label)", "status": "\(result.status.rawValue)", "failedStep": "\(result.failure?.step.rawValue ?? "-")",
            "newKeyID": "\(result.newKeyID ?? "-")",
        ])
        if let failure = result.failure {
            DiagnosticLog.rotation.trace("app run failure", metadata: ["app": "\(plan.label)", "failure": "\(failure)"])
        }
        return result
    }

    /// Ends the overlap of the app's previous secrets now and retires them at the issuer.
    ///
    /// Refused, changing nothing, while the app waits for a person (see ``RotationState``): the
    /// previous secret is the one that works where the person has not acted yet.
    public func retireNow(_ name: String) async -> AppRotationResult {
        var result = AppRotationResult(label: name)
        do {
            let overview = try await commits.read { try $0.overview(of: name) }
            let app = overview.record
            result = AppRotationResult(label: app.app.label)
            let open = try await commits.read { try $0.openJournals(of: app.id) }
            try RotationState(open: open).check(.retireNow, label: app.app.label, keepsPreviousSecret: true)
            // Only the app registration's secrets and the certificates the vault made: a
            // certificate only monitored or a service principal's credential is the tenant's,
            // and rotation never removes it.
            let previous = overview.credentials.map(\.credential).filter { (credential: Credential) -> Bool in
                credential.state == .previous && (credential.kind == .secret || credential.certificate != nil) && credential.holder == .application
            }
            guard !previous.isEmpty else {
                throw RotationRefusal(waitsForPerson: false, message: "\(app.app.label) has no previous secret to retire (nothing was changed)")
            }
            let now = options.clock()
            for credential in previous {
                try await commits.write { [vault] writer in
                    try vault.setRetireAfter(app: app, keyID: credential.keyID, date: now, writer: &writer)
                }
            }
            var plan = try plan(.apps([app.app.label]))[0]
            plan.rotate = false
            return await Self.$retiringOnRequest.withValue(true) { await run(plan) }
        } catch {
            result.refused(error, step: .retire)
            return result
        }
    }
}

extension RotationSelection {
    var forcesRotation: Bool {
        switch self {
        case .all: return true
        case .apps(_, let force): return force
        case .due: return false
        }
    }
}

/// The failures and waits of one app's run: the first failure is the one reported.
struct Problems {
    var failure: RotationRunFailure?
    var waiting = false
    var notes: [String] = []

    mutating func record(_ error: any Error, step: RotationStep) {
        if let text = (error as? RotationFailure).flatMap({ $0.code == .needsPerson ? $0.reason : nil }) {
            waiting = true
            notes.append(text)
        } else if failure == nil {
            failure = RotationRunFailure(step: step, error: error)
        } else {
            notes.append("also failed at \(step): \(error)")
        }
    }
}

/// What every step of one app's run needs.
struct StepContext: Sendable {
    let app: AppRecord
    let issuer: any Issuer
    let consumers: [any SecretConsumer]
    /// The rows that waited for a person when the run began: only these can be confirmed.
    var confirmable: Set<RecordID> = []
}

extension AppRotationResult {
    /// Records why a person's command stopped: a refusal while the app waits for a person is a
    /// wait (exit 75), any other error a failure; either way the message is the one line shown.
    mutating func refused(_ error: any Error, step: RotationStep) {
        if let refusal = error as? RotationRefusal, refusal.waitsForPerson {
            status = .waiting
        } else if (error as? RotationFailure)?.code == .needsPerson {
            status = .waiting
        } else {
            status = .failed
        }
        failure = RotationRunFailure(step: step, error: error)
    }
}

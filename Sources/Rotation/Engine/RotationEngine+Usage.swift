import ClientSecrets
import Foundation

/// Usage-aware retirement: before previous secrets are removed, the issuer's sign-in report (if
/// it has one, see ``CredentialUsageReport``) says whether something still uses them.
extension RotationEngine {
    /// Set while `--retire-now` runs: a person ended the overlap on purpose, so a secret still in
    /// use is removed anyway, with a warning, instead of being postponed.
    @TaskLocal static var retiringOnRequest = false

    /// The credentials of `candidates` (previous secrets whose overlap has passed) that may be
    /// removed now. One that was used after its successor became current is kept, at most
    /// ``CredentialUsageReport/usageGrace`` past its overlap, then removed with a warning.
    /// Postponements and a report that is unavailable are audited; the fallback is said once per run.
    func clearedByUsage(_ candidates: [Credential], context: StepContext, result: inout AppRotationResult) async throws -> [Credential] {
        guard !candidates.isEmpty, let report = context.issuer as? any CredentialUsageReport else { return candidates }
        let app = context.app
        let label = app.app.label
        let now = options.clock()
        let usage = await report.credentialUsage()
        guard case .report(let signIns) = usage else {
            if case .unavailable(let reason, let firstInRun) = usage {
                if firstInRun {
                    result.notes.append("usage report unavailable (\(reason)): previous secrets are retired when their overlap ends, without checking whether they are still used")
                }
                try await commits.write { writer in
                    try writer.audit(.secretUsageUnknown, app: label, appID: app.app.appID, detail: "retiring by the overlap window: \(reason)")
                }
            }
            return candidates
        }
        var cleared: [Credential] = []
        for credential in candidates {
            let keyID = credential.keyID.lowercased()
            // The moment its successor became current: promote sets the end of the overlap from it.
            let promoted = min(now, (credential.retireAfter ?? now).addingTimeInterval(-app.app.policy.overlap))
            guard let used = signIns[keyID], used.at > promoted else {
                cleared.append(credential)
                continue
            }
            let deadline = (credential.retireAfter ?? now).addingTimeInterval(report.usageGrace)
            let seen = "app \(label) (\(app.app.appID)) still signed in with key \(keyID) at \(Self.stamp(used.at))\(used.resource.map { " to resource \($0)" } ?? ""), after the new key became current at \(Self.stamp(promoted))"
            if Self.retiringOnRequest || now >= deadline {
                let why = Self.retiringOnRequest ? "you ended its overlap" : "its usage grace ended at \(Self.stamp(deadline))"
                result.notes.append("warning: \(seen); it is retired anyway because \(why): whatever still uses it must get the new secret")
                try await commits.write { writer in
                    try writer.audit(.secretRetireInUse, app: label, appID: app.app.appID, keyID: keyID, detail: "last sign-in \(Self.stamp(used.at)); \(why)")
                }
                cleared.append(credential)
            } else {
                result.notes.append("\(seen): its retirement is postponed until nothing uses it, at the latest until \(Self.stamp(deadline)); find what still holds the old secret and give it the new one")
                try await commits.write { writer in
                    try writer.audit(.secretRetirePostponed, app: label, appID: app.app.appID, keyID: keyID, detail: "last sign-in \(Self.stamp(used.at)) after promotion; kept until \(Self.stamp(deadline)) at the latest")
                }
            }
        }
        return cleared
    }

    /// A date for notes and the audit log: ISO 8601 in UTC, whole seconds.
    static func stamp(_ date: Date) -> String {
        DateParser.format(date)
    }
}

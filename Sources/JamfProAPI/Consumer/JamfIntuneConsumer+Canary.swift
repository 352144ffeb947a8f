import ClientSecrets
import Foundation
import JamfPro
import Rotation

extension JamfIntuneConsumer {
    /// Checks the integration through the Jamf Pro API where it can, else says what to check.
    ///
    /// Verified only by a canary inventory report newer than the moment the new secret was
    /// applied (and never older than the credential itself), with a reported compliance state; a
    /// stale report after ``canaryWait`` is "not verified yet"
    /// (``Rotation/ConsumerOutcome/needsPerson(_:)``), and so is a moment recorded in a file
    /// someone else could have written.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/verificationFailed(_:)`` when the canary reported
    ///   after the change but its compliance is not reported; API failures as ``JamfProClient``
    ///   reports them.
    public func verify(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        let url = client.baseURL.absoluteString
        let label = delivery.app.label
        let keyID = delivery.credential.keyID
        guard let apiClient else {
            return .needsPerson(
                "check that Jamf Pro at \(url) saved \(JamfIntunePayload.formPath) without an error, and that the Intune admin center (Tenant administration > Connectors and tokens > Partner device management) shows the Jamf connection as Active with a sync after the change; give this consumer a Jamf Pro API client and a canary computer to have this checked automatically")
        }
        var token = try await client.token(for: apiClient)
        _ = try await client.deviceComplianceFeatureToggle(token: token)
        guard let canary = consumer.canaryComputerID else {
            return .needsPerson(
                "the Jamf Pro API at \(url) answers, but no canary computer is set, so the integration itself is unchecked: check that the Intune admin center shows the Jamf connection as Active with a sync after the change, or set a canary computer")
        }
        let recorded: Date
        switch applied.lookup(label: label, keyID: keyID) {
        case .recorded(let date):
            recorded = date
        case .none:
            // Nobody here knows when a person typed the secret in, so no report can be shown to
            // be newer than that: what Jamf Pro reports now may still come from the old secret.
            return .needsPerson(
                "not verified yet: no apply command put secret \(keyID) in place, so the program cannot tell a report made with it from one made with the old secret; once it is saved in Jamf Pro at \(url), run `sudo jamf recon` on canary computer \(canary), check that its compliance is reported (Computers > \(canary) > Inventory), then run `secrets rotate \(label) --confirm-deployed`")
        case .untrusted(let why):
            // An earlier moment than the real one would let a stale report pass: the same as
            // no record at all, said so that the person can look at who wrote it.
            return .needsPerson(
                "not verified yet: the record of when secret \(keyID) was applied is not trusted (\(why)), so the program cannot tell a report made with it from one made with the old secret; remove that file, check that the secret is saved in Jamf Pro at \(url), run `sudo jamf recon` on canary computer \(canary), check that its compliance is reported (Computers > \(canary) > Inventory), then run `secrets rotate \(label) --confirm-deployed`")
        }
        // A secret cannot have been applied before it existed: whatever the record says, a report
        // older than the credential says nothing about it. (The vault keeps `created` rounded down
        // to the second; a bound a second later would also refuse a `jamf recon` started by a
        // quick apply command, so that one second is left to the record, which is taken after.)
        let appliedAt = max(recorded, delivery.credential.created)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(canaryWait * 1000))
        var last = ComputerInventoryReport(reportDate: nil, lastContactTime: nil)
        // Reads close together first (a `jamf recon` the apply command started ends within
        // seconds to a minute), then every `canaryInterval`.
        var pause = min(1, canaryInterval)
        while true {
            // Jamf Pro API-client tokens cannot be renewed: a new one before this one runs out.
            if token.expiresAt < Date().addingTimeInterval(30) { token = try await client.token(for: apiClient) }
            let report = try await client.computerInventoryReport(computerID: canary, token: token)
            if let reported = report.reportDate, reported > appliedAt {
                let read = try await client.complianceInformation(computerID: canary, token: token)
                guard let entry = read.first(where: \.isReported) else {
                    // A report made with what Jamf Pro now holds, and Intune has nothing from it.
                    throw RotationFailure.verificationFailed(
                        "canary computer \(canary) sent inventory at \(Self.stamp(reported)), after secret \(keyID) was applied, but "
                            + Self.explainUnreported(read, canary: canary, url: url))
                }
                let vendor = entry.complianceVendor.map { " from \(Self.quoted($0))" } ?? ""
                return .done(
                    "canary computer \(canary) on \(url) sent inventory at \(Self.stamp(reported)), after secret \(keyID) was applied at \(Self.stamp(appliedAt)), and reports \(entry.complianceState)\(vendor)")
            }
            last = report
            let remaining = deadline - clock.now
            guard remaining > .zero else { break }
            try await Task.sleep(for: min(remaining, .milliseconds(Int64(pause * 1000))))
            pause = min(pause * 2, canaryInterval)
        }
        let when = last.reportDate.map { "last sent inventory at \(Self.stamp($0))" } ?? "has never sent inventory"
        let waited = canaryWait > 0 ? " (waited \(DurationParser.format(canaryWait.rounded(.up))))" : ""
        return .needsPerson(
            "not verified yet: canary computer \(canary) on \(url) \(when), not after secret \(keyID) was applied at \(Self.stamp(appliedAt))\(waited), so what Jamf Pro reports for it may still come from the old secret; run `sudo jamf recon` on it (or wait for its next inventory), then run `secrets rotate \(label)` again")
    }

    /// A date for messages: ISO 8601 in UTC, whole seconds.
    static func stamp(_ date: Date) -> String {
        DateParser.format(date)
    }
}

import ClientSecrets
import Foundation

extension RotationEngine {
    /// Runs `plan` under the app's claim when other hosts may rotate the same vault
    /// (``Options/claims``), planned again from the vault once the claim is held: the plan was
    /// made before another host may have rotated the app, or died halfway through it.
    ///
    /// - Returns: `nil` when another host holds the app and `waiting` is false; otherwise the result.
    func runClaimed(_ plan: RotationPlan, waiting: Bool) async -> AppRotationResult? {
        guard let claims = options.claims, let id = plan.appRecordID else { return await run(plan) }
        do {
            guard try await claim(id, claims: claims, waiting: waiting) else {
                guard waiting else { return nil }
                throw RotationRefusal(
                    waitsForPerson: false,
                    message: "another host was still working on \(plan.label) after \(Int(options.claimWait)) s; run `secrets rotate --due` again when it has finished")
            }
        } catch {
            return .refused(plan.label, error)
        }
        defer { claims.release(id) }
        let fresh: RotationPlan
        do {
            fresh = try await commits.read { [options] vault in
                let state = try vault.planningState(of: id)
                return self.plan(state.overview, open: state.open, forced: plan.forced, now: options.clock())
            }
        } catch {
            return .refused(plan.label, error)
        }
        guard !fresh.isEmpty else {
            var result = AppRotationResult(label: plan.label)
            result.notes.append("nothing left to do: another host rotated it meanwhile")
            return result
        }
        return await run(fresh)
    }

    /// Takes the app's claim, polling while another host holds it if `waiting` (up to
    /// ``Options/claimWait``); the claim is tried off the cooperative pool, as every vault call is.
    private func claim(_ id: RecordID, claims: any AppClaims, waiting: Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(waiting ? options.claimWait : 0)
        while true {
            if try await commits.read({ _ in try claims.tryClaim(id) }) { return true }
            guard Date() < deadline else { return false }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}

extension AppRotationResult {
    /// The result of an app whose run could not start under its claim (see ``AppRotationResult/refused(_:step:)``).
    static func refused(_ label: String, _ error: any Error) -> AppRotationResult {
        var result = AppRotationResult(label: label)
        result.refused(error, step: .prepare)
        return result
    }
}

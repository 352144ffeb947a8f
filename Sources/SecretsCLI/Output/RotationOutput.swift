import ArgumentParser
import ClientSecrets
import Foundation
import Rotation

/// How `rotate` and `rollback` print plans and results: tables for people, JSON for scripts.
enum RotationOutput {
    struct PlanJSON: Encodable {
        let label: String
        let appId: String
        let issuer: String
        let rotate: Bool
        let reason: String
        let newExpiry: String?
        let resume: [ResumeJSON]
        let retire: [String]
        let consumers: [String]
        let steps: [String]
    }

    struct ResumeJSON: Encodable {
        let rotationId: String
        let kind: String
        let step: String
        let status: String
        let keyId: String?
        let lastError: String?
    }

    struct ResultJSON: Encodable {
        let label: String
        let status: String
        let newKeyId: String?
        let newExpiry: String?
        let retired: [String]
        let resumed: [String]
        let failedStep: String?
        let failure: String?
        let notes: [String]
    }

    /// `showErrors` is false for readers: a failure message may quote a hook's output.
    static func printPlans(_ plans: [RotationPlan], json: Bool, showErrors: Bool) throws {
        if json {
            return try Printer.json([
                "dryRun": plans.map { plan in
                    PlanJSON(
                        label: plan.label, appId: plan.appID, issuer: plan.issuer.rawValue, rotate: plan.rotate, reason: plan.reason,
                        newExpiry: plan.newExpiry.map(DateParser.format),
                        resume: plan.resume.map {
                            ResumeJSON(
                                rotationId: $0.rotationID, kind: $0.kind.rawValue, step: $0.step.rawValue, status: $0.status.rawValue,
                                keyId: $0.keyID, lastError: showErrors ? $0.lastError : nil)
                        },
                        retire: plan.retire.map(\.keyID), consumers: plan.consumers, steps: plan.steps)
                },
            ])
        }
        let active = plans.filter { !$0.isEmpty }
        for plan in active {
            Printer.line("\(plan.label) (\(plan.appID)): \(plan.reason)")
            for step in plan.steps { Printer.line("  - \(step)") }
        }
        let idle = plans.count - active.count
        Printer.line(active.isEmpty ? "Nothing to do: no app is due, nothing to resume or retire." : "")
        if idle > 0, !active.isEmpty { Printer.line("\(idle) other app(s): nothing to do.") }
        Printer.line("Dry run: nothing was changed.")
    }

    /// Exits 75 when an app waits for a person: a refusal is printed as its own line, a wait
    /// points at the notes.
    static func exitIfWaiting(_ results: [AppRotationResult]) throws {
        let waiting = results.filter { $0.status == .waiting }
        guard !waiting.isEmpty else { return }
        for result in waiting {
            if let failure = result.failure {
                Terminal.printError("secrets: \(failure)")
            }
        }
        let pointed = waiting.filter { $0.failure == nil }.map(\.label)
        if !pointed.isEmpty {
            Terminal.printError("secrets: \(pointed.joined(separator: ", ")) waiting for a person (see the notes)")
        }
        throw ExitCode(ExitStatus.temporaryFailure)
    }

    static func printResults(_ results: [AppRotationResult], json: Bool) throws {
        if json {
            return try Printer.json([
                "apps": results.map {
                    ResultJSON(
                        label: $0.label, status: $0.status.rawValue, newKeyId: $0.newKeyID, newExpiry: $0.newExpiry.map(DateParser.format),
                        retired: $0.retired, resumed: $0.resumed, failedStep: $0.failure?.step.rawValue, failure: $0.failure?.message, notes: $0.notes)
                },
            ])
        }
        if results.isEmpty { return Printer.line("Nothing to do: no app is due, nothing to resume or retire.") }
        Printer.table(
            ["APP", "RESULT", "NEW KEY", "EXPIRES", "RETIRED", "DETAIL"],
            results.map { result in
                [result.label, result.status.rawValue, result.newKeyID ?? "-", result.newExpiry.map { Printer.day($0) } ?? "-",
                 result.retired.isEmpty ? "-" : result.retired.joined(separator: ","),
                 result.failure.map { "\($0.step): \($0.message)" } ?? (result.resumed.isEmpty ? "" : "resumed \(result.resumed.count)")]
            })
        let notes = results.flatMap { result in result.notes.map { "  \(result.label): \($0)" } }
        if !notes.isEmpty {
            Printer.line("")
            Printer.line("Notes:")
            for note in notes { Printer.line(note) }
        }
        let counts = Dictionary(grouping: results, by: \.status).mapValues(\.count)
        Printer.line("")
        Printer.line(
            "\(results.count) app(s): \(counts[.done] ?? 0) done, \(counts[.failed] ?? 0) failed, \(counts[.waiting] ?? 0) waiting for a person.")
    }
}

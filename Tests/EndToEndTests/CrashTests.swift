import Foundation
import ProcessHarness
import Testing

/// `kill -9` at a random moment never corrupts the vault or loses a write that reported success:
/// every change is one SQLite transaction, committed with `synchronous=FULL` before the command
/// says it succeeded.
@Suite("Crashes")
struct CrashTests {
    static let iterations = 40

    @Test("SIGKILL during a stream of secret adds (and rekeys): the vault verifies and keeps every reported add")
    func killedWriters() throws {
        let sandbox = try Sandbox("crash")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("crash-target")

        // One undisturbed add to learn how long an add takes on this machine, so that the kills
        // land anywhere from process start-up to just after the commit. When the machine is
        // slower than that run suggested and six runs in a row were killed, the window widens,
        // so that some adds do complete.
        var reported = [try sandbox.addSecret("crash-target", value: Sandbox.secretValue())]
        let typical = try #require(sandbox.results.last).elapsed
        var latest = max(0.080, typical * 1.3)
        var killedInARow = 0

        var attempted = Set(reported)
        var killed = 0
        var unexpected: [String] = []
        for iteration in 0..<Self.iterations {
            // The kill comes from the runner: SIGKILL after a random 5 ms…`latest`, unless the
            // child has already exited.
            let delay = Double.random(in: 0.005...latest)
            let result: ProcessResult
            var keyID: String?
            if iteration % 8 == 7 {
                result = try sandbox.run(["rekey"], killAfter: delay)
            } else {
                let id = Sandbox.guid()
                keyID = id
                attempted.insert(id)
                result = try sandbox.run(
                    ["secret", "add", "crash-target", "--expires", "90d", "--key-id", id],
                    stdin: Data(Sandbox.secretValue().utf8), killAfter: delay)
            }
            if result.succeeded {
                if let keyID { reported.append(keyID) }
                killedInARow = 0
            } else if !result.exitedNormally && !result.timedOut {
                killed += 1
                killedInARow += 1
                if killedInARow >= 6 {
                    latest *= 1.5
                    killedInARow = 0
                }
            } else {
                unexpected.append("\(result)")
            }
        }
        print("CrashTests: \(Self.iterations) runs, \(killed) killed, \(reported.count - 1) adds reported success (kills within \(Int(latest * 1000)) ms; an add takes \(Int(typical * 1000)) ms)")
        #expect(unexpected.isEmpty, "runs that were not killed failed: \(unexpected)")
        #expect(killed > 0, "no run was killed; the test proved nothing")
        #expect(reported.count > 1, "no add survived; the test proved little")

        // The next process recovers the WAL of the killed ones: the vault is whole…
        let verified = try sandbox.run(["verify"])
        #expect(verified.succeeded, "\(verified)")
        #expect(verified.output.contains("The vault is intact."))

        // …and holds every add that reported success, and nothing that was never attempted.
        let app = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "crash-target", "--json"]))
        let stored = Set((app.credentials ?? []).map(\.keyId))
        let lost = Set(reported).subtracting(stored)
        #expect(lost.isEmpty, "adds that reported success are missing: \(lost.sorted())")
        #expect(stored.isSubset(of: attempted), "unknown key IDs: \(stored.subtracting(attempted).sorted())")
        #expect((app.credentials ?? []).filter { $0.state == "current" }.count == 1)

        // And it still takes writes.
        try sandbox.addSecret("crash-target", value: Sandbox.secretValue())
        try sandbox.succeed(["verify"])
    }
}

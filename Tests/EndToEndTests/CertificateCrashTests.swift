import Emulators
import Foundation
import ProcessHarness
import Testing

/// The certificate path under crashes and faults (issue 16): a rotator rolling its own
/// certificate is killed at random moments, and Graph fails `addKey` in the ways the fault
/// harness injects elsewhere; afterwards exactly the vault's certificates are at Entra ID, one is
/// current and signs in, and the vault verifies.
@Suite("Certificate rotation: crashes and faults", .serialized)
struct CertificateCrashTests {
    /// A rotator that signs in with an activated certificate and rolls its own (it owns itself).
    static func selfRotatingWorld(_ name: String) async throws -> CertificateRotatorTests.World {
        let world = try await CertificateRotatorTests.World.make(name)
        await world.emulator.registerApplication(
            appID: world.rotatorID, displayName: "secrets rotator", owners: [world.rotatorID], roles: ["Application.ReadWrite.OwnedBy"])
        try world.sandbox.succeed(["cert", "new", "rotator", "--expires", "1y", "--bits", "2048"])
        try await world.uploadPending()
        try await world.sandbox.succeedAsync(["cert", "activate", "rotator"])
        try world.sandbox.succeed(["app", "edit", "rotator", "--issuer", "entra-id", "--lifetime", "1y", "--overlap", "0s"])
        return world
    }

    /// What must hold after any crash or fault, once a clean run finished what was left: the
    /// certificates at Entra ID are exactly the vault's live ones (no orphan, none lost), one is
    /// current, the rotator signs in with it, and the vault verifies.
    static func expectConsistent(_ world: CertificateRotatorTests.World, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let settled = try await world.sandbox.runAsync(["rotate", "rotator"])
        #expect(settled.succeeded, "\(settled)", sourceLocation: sourceLocation)
        let vault = try world.certificates()
        let live = Set(vault.filter { ($0["state"] as? String) != "retired" }.compactMap { $0["keyID"] as? String })
        let atIssuer = Set(await world.emulator.certificates(ofApp: world.rotatorID).map(\.keyID))
        #expect(atIssuer == live, "at Entra ID \(atIssuer.sorted()), live in the vault \(live.sorted())", sourceLocation: sourceLocation)
        #expect(vault.filter { $0["state"] as? String == "current" }.count == 1, sourceLocation: sourceLocation)
        #expect(await world.emulator.secrets(ofApp: world.rotatorID).isEmpty, sourceLocation: sourceLocation)
        let rotated = try await world.sandbox.runAsync(["rotate", "jamf", "--force"])
        #expect(rotated.succeeded, "the rotator cannot sign in after the crashes: \(rotated)", sourceLocation: sourceLocation)
        #expect(try world.sandbox.run(["verify"]).succeeded, sourceLocation: sourceLocation)
    }

    @Test("SIGKILL at random moments of the rotator's own certificate rotation: resumed, no orphan at Entra ID, none lost")
    func killedSelfRotations() async throws {
        let world = try await Self.selfRotatingWorld("cert-crash")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        // One undisturbed run to learn how long a rotation takes here; kills land anywhere in it.
        let first = try await sandbox.succeedAsync(["rotate", "rotator", "--force"])
        let typical = first.elapsed
        var killed = 0
        for _ in 0..<16 {
            let result = try await sandbox.runAsync(["rotate", "rotator", "--force"], killAfter: Double.random(in: 0.02...max(0.1, typical)))
            if !result.exitedNormally { killed += 1 } else { #expect(result.succeeded, "\(result)") }
        }
        print("CertificateCrashTests: 16 runs, \(killed) killed (a rotation takes \(Int(typical * 1000)) ms)")
        #expect(killed > 0, "no run was killed; the test proved nothing")
        try await Self.expectConsistent(world)
    }

    @Test("a rollback killed while it redeploys is resumed by the next rotate, which then retires the certificate it replaced, signing with the one now current")
    func killedRollbackResumed() async throws {
        let world = try await Self.selfRotatingWorld("cert-rollback-killed")
        defer { Task { await world.finish() } }
        let sandbox = world.sandbox
        let pidFile = sandbox.directory.path("rollback.pid"), slow = sandbox.directory.path("slow")
        // While `slow` exists, the consumer holds the run long enough to be killed in it.
        try sandbox.succeed([
            "app", "edit", "rotator", "--consumer", "command=\(Sandbox.announcePID(to: pidFile)); cat > /dev/null; [ ! -e '\(slow)' ] || sleep 10",
        ])
        try await sandbox.succeedAsync(["rotate", "rotator", "--force"])
        // The rollback makes the previous certificate current and hands it to the consumer, where it dies.
        #expect(FileManager.default.createFile(atPath: slow, contents: nil))
        let killed = try await sandbox.runKilled(["rollback", "rotator", "--yes"], pidFile: pidFile)
        #expect(!killed.exitedNormally, "\(killed)")
        try FileManager.default.removeItem(atPath: slow)
        // Found by the crash harness's long mode: the resumed rollback switched the current
        // certificate, and the retirement that followed was signed with the one it was retiring.
        let resumed = try await sandbox.runAsync(["rotate", "rotator"])
        #expect(resumed.succeeded, "\(resumed)")
        try await Self.expectConsistent(world)
    }

    @Test("addKey acted but its answer was lost (a timeout), 429 with Retry-After, 503s, a dropped connection, removeKey failing: one new certificate each time")
    func addKeyFaults() async throws {
        let world = try await Self.selfRotatingWorld("cert-faults")
        defer { Task { await world.finish() } }
        let faults: [(EmulatedFault, EntraOperation, Int)] = [
            (.slowAnswer(.seconds(3)), .addKey, 1),  // with a 1 s timeout: Entra ID added it, the answer never came
            (.status(429, retryAfter: 1), .addKey, 1),
            (.status(503), .addKey, 2),
            (.dropConnection, .addKey, 1),
            (.status(503), .removeKey, 1),
        ]
        for (fault, operation, times) in faults {
            await world.emulator.injectFault(fault, on: operation, times: times)
            let before = Set(await world.emulator.certificates(ofApp: world.rotatorID).map(\.keyID))
            let result = try await world.sandbox.runAsync(["rotate", "rotator", "--force"], environment: ["SECRETS_HTTP_TIMEOUT": "1"])
            #expect(result.succeeded, "\(fault) on \(operation): \(result)")
            let added = Set(await world.emulator.certificates(ofApp: world.rotatorID).map(\.keyID)).subtracting(before)
            #expect(added.count == 1, "\(fault) on \(operation) left \(added.count) new certificates at Entra ID")
        }
        try await Self.expectConsistent(world)
    }

    @Test("addKey applied only after the client gave up (the retry adds the same certificate again): the late duplicate of the current certificate is removed, the certificate itself kept")
    func lateDuplicateOfTheCurrentCertificate() async throws {
        let world = try await Self.selfRotatingWorld("cert-late-duplicate")
        defer { Task { await world.finish() } }
        // Applied 3 s after it arrives, against a 1 s client timeout: the retry (at about 1 s)
        // comes well before the first request lands, even on a loaded machine.
        await world.emulator.injectFault(.slow(.seconds(3)), on: .addKey)
        let result = try await world.sandbox.runAsync(["rotate", "rotator", "--force"], environment: ["SECRETS_HTTP_TIMEOUT": "1"])
        #expect(result.succeeded, "\(result)")
        let current = try #require(try world.certificates().first { $0["state"] as? String == "current" })
        let thumbprint = try #require(current["sha1Thumbprint"] as? String)
        // The rotation may finish before the late addKey lands: wait for it (up to 10 s).
        var entries: [EmulatedCertificate] = []
        for _ in 0..<100 {
            entries = await world.emulator.certificates(ofApp: world.rotatorID).filter {
                $0.thumbprint.map { String(format: "%02X", $0) }.joined() == thumbprint
            }
            if entries.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(entries.count == 2, "the slow first addKey should have landed after the retry: \(entries.map(\.keyID))")
        try await Self.expectConsistent(world)
        let left = await world.emulator.certificates(ofApp: world.rotatorID).filter {
            $0.thumbprint.map { String(format: "%02X", $0) }.joined() == thumbprint
        }
        #expect(left.map(\.keyID) == [current["keyID"] as? String], "the current certificate's own entry is the one kept")
    }
}

import CryptoPrimitives
import Foundation
import Rotation
import Testing

@testable import ClientSecrets

/// The engine against an in-memory issuer and consumer: the states it leaves in the real vault
/// file after success, failure, a hang standing in for a crash, retirement and rollback.
@Suite struct RotationEngineTests {
    struct Fixture {
        let harness: VaultHarness
        let vault: Vault
        let issuer: FakeIssuer
        let consumer: RecordingConsumer
        let clock: TestClock
        let oldKey: String

        func engine(concurrency: Int = 4) throws -> RotationEngine {
            RotationEngine(
                vault: try harness.open(), environment: FakeEnvironment(issuer: issuer, consumer: consumer),
                options: .init(concurrency: concurrency, clock: clock.function))
        }

        func credentials(_ label: String = "jamf") throws -> [Credential] {
            try harness.open().overview(of: label).credentials.map(\.credential)
        }

        func state(of keyID: String, _ label: String = "jamf") throws -> CredentialState? {
            try credentials(label).first { $0.keyID == keyID }?.state
        }
    }

    /// One app whose current secret (also held by the issuer and the consumer) expires in `days`.
    static func fixture(expiresInDays days: Double = 10, keepsPrevious: Bool = true, apps: Int = 1) throws -> Fixture {
        let (harness, vault) = try VaultHarness.make()
        let issuer = FakeIssuer(keepsPreviousSecret: keepsPrevious)
        let consumer = RecordingConsumer()
        var oldKey = ""
        for index in 0..<apps {
            let label = index == 0 ? "jamf" : "app-\(index)"
            try vault.addApp(Sample.app(label), now: Sample.now)
            let keyID = Sample.guid()
            let value = "old-secret-value-\(index)-0123456789"
            try vault.addSecret(to: label, value: Sample.value(value), keyID: keyID, expires: Sample.at(days: days), now: Sample.now)
            issuer.seed(keyID: keyID, value: value)
            if index == 0 { oldKey = keyID }
        }
        consumer.seed("old-secret-value-0-0123456789")
        return Fixture(harness: harness, vault: vault, issuer: issuer, consumer: consumer, clock: TestClock(Sample.now), oldKey: oldKey)
    }

    @Test func aDueAppRotatesWithOverlapAndASecondRunDoesNothing() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        let results = try await f.engine().run(.due)
        #expect(results.map(\.status) == [.done])
        let newKey = try #require(results[0].newKeyID)
        #expect(try f.state(of: newKey) == .current)
        #expect(try f.state(of: f.oldKey) == .previous)
        let previous = try #require(try f.credentials().first { $0.keyID == f.oldKey })
        #expect(previous.retireAfter == Sample.at(days: 7))
        // Both secrets are valid at the issuer during the overlap, and the consumer holds the new one.
        #expect(Set(f.issuer.secrets.map(\.keyID)) == [f.oldKey, newKey])
        let newValue = Sample.text(try f.harness.open().secretValue(of: "jamf"))
        #expect(f.consumer.holding == newValue)
        #expect(f.issuer.secrets.first { $0.keyID == newKey }?.displayName == "secrets:\(try f.harness.open().journal(of: "jamf")[0].rotationID)")
        // Right after, nothing is due.
        let again = try await f.engine().run(.due)
        #expect(again.isEmpty)
        #expect(f.issuer.secrets.count == 2)
        #expect(try f.harness.open().verify().isClean)
    }

    @Test func anAppThatIsNotDueRotatesOnlyWithAll() async throws {
        let f = try Self.fixture(expiresInDays: 100)
        defer { f.harness.remove() }
        let plan = try f.engine().plan(.due)
        #expect(plan.count == 1 && plan[0].isEmpty)
        #expect(plan[0].reason.contains("100 day"))
        let results = try await f.engine().run(.all)
        #expect(results.map(\.status) == [.done])
        #expect(try f.state(of: f.oldKey) == .previous)
    }

    @Test func aFailedVerifyKeepsTheOldSecretAndRemovesTheNewOne() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        f.issuer.fail(.verify, with: .verificationFailed("AADSTS7000215 for 60 s"))
        let results = try await f.engine().run(.due)
        #expect(results[0].status == .failed)
        #expect(results[0].failure?.step == RotationStep(rawValue: "deploy"))  // the issuer is checked before any consumer is given the secret
        #expect(results[0].failure?.message.contains("AADSTS7000215") == true)
        #expect(try f.state(of: f.oldKey) == .current)
        // Only the old secret is left at the issuer, and the consumer was given it back.
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
        #expect(f.consumer.holding == "old-secret-value-0-0123456789")
        let retired = try f.credentials().filter { $0.state == .retired }
        #expect(retired.count == 1)
        #expect(try f.harness.open().openJournals().isEmpty)
        #expect(try f.harness.open().verify().isClean)
    }

    @Test func whenRemovalAlsoFailsTheNewSecretStaysPendingUntilTheNextRun() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        f.issuer.fail(.verify, with: .verificationFailed("AADSTS7000215"))
        f.issuer.fail(.remove, with: .unavailable("503 after 5 attempts"))
        let first = try await f.engine().run(.due)
        #expect(first[0].status == .failed)
        #expect(first[0].notes.contains { $0.contains("left pending") })
        let pending = try f.credentials().filter { $0.state == .pending }
        #expect(pending.count == 1)
        #expect(try f.state(of: f.oldKey) == .current)
        #expect(f.issuer.secrets.count == 2)
        // The next run finishes undoing it, and reports that it did.
        f.issuer.fail(.remove, with: nil)
        let second = try await f.engine().run(.due)
        #expect(second[0].status == .failed)
        #expect(second[0].failure?.message.contains("undone") == true)
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
        #expect(try f.credentials().filter { $0.state == .pending }.isEmpty)
        // And the run after that rotates for real.
        f.issuer.fail(.verify, with: nil)
        let third = try await f.engine().run(.due)
        #expect(third[0].status == .done)
        #expect(try f.state(of: f.oldKey) == .previous)
    }

    @Test func aPolicyRejectionChangesNothing() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        f.issuer.fail(.create, with: .policyRejected("lifetime exceeds the 90-day maximum"))
        let results = try await f.engine().run(.due)
        #expect(results[0].status == .failed)
        #expect(results[0].failure?.step == RotationStep(rawValue: "create"))
        #expect(results[0].failure?.message.contains("policy") == true)
        guard results[0].failure?.reason?.code == .policyRejected else { Issue.record("the typed failure was lost: \(String(describing: results[0].failure))"); return }
        #expect(try f.credentials().count == 1)
        #expect(f.issuer.secrets.count == 1)
        #expect(try f.harness.open().openJournals().isEmpty)
    }

    @Test func aRotationStuckInDeployIsResumedByTheNextProcess() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        f.consumer.hangOnNextDeploy()
        let stuck = Task { try await f.engine().run(.due) }
        // Wait for the journal to reach deploy, as a killed process would leave it.
        try await waitFor { try f.harness.open().openJournals().first?.step == .deploy }
        let resumed = try await f.engine().run(.due)
        stuck.cancel()
        #expect(resumed[0].status == .done)
        #expect(resumed[0].resumed.count == 1)
        let newKey = try #require(resumed[0].newKeyID)
        #expect(Set(f.issuer.secrets.map(\.keyID)) == [f.oldKey, newKey])
        #expect(try f.state(of: newKey) == .current)
    }

    @Test func aSecretCreatedButNeverStoredIsRemovedOnResume() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        f.issuer.hangAfterNextCreate()
        let stuck = Task { try await f.engine().run(.due) }
        try await waitFor { f.issuer.secrets.count == 2 }
        let orphan = try #require(f.issuer.secrets.last)
        let resumed = try await f.engine().run(.due)
        stuck.cancel()
        #expect(resumed[0].status == .done)
        let newKey = try #require(resumed[0].newKeyID)
        #expect(newKey != orphan.keyID)
        #expect(Set(f.issuer.secrets.map(\.keyID)) == [f.oldKey, newKey])
    }

    @Test func thePreviousSecretIsRetiredOnlyAfterTheOverlap() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        let newKey = try #require(try await f.engine().run(.due)[0].newKeyID)
        f.clock.advance(days: 6)
        #expect(try await f.engine().run(.due).isEmpty)
        #expect(f.issuer.secrets.count == 2)
        f.clock.advance(days: 1.5)
        let results = try await f.engine().run(.due)
        #expect(results[0].retired == [f.oldKey])
        #expect(f.issuer.secrets.map(\.keyID) == [newKey])
        #expect(try f.state(of: f.oldKey) == .retired)
        #expect(throws: VaultError.noSecretValue(app: "jamf", keyID: f.oldKey)) { try f.harness.open().secretValue(of: "jamf", keyID: f.oldKey) }
        #expect(try f.harness.open().verify().isClean)
    }

    @Test func retireNowEndsTheOverlapEarly() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        _ = try await f.engine().run(.due)
        let result = try await f.engine().retireNow("jamf")
        #expect(result.status == .done)
        #expect(result.retired == [f.oldKey])
        #expect(f.issuer.secrets.count == 1)
    }

    @Test func retiringRemovesASecretALostCreateAttemptLeftAfterItsRotationEnded() async throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        let first = try await f.engine().run(.due)
        let newKey = try #require(first[0].newKeyID)
        let rotation = try #require(try f.harness.open().journal(of: "jamf").first { $0.kind == .rotate })
        // The issuer carries out a timed-out attempt of that rotation's create after it ended.
        let late = Sample.guid().lowercased()
        f.issuer.seed(keyID: late, value: "never-seen-late-value", displayName: rotation.displayName)
        // Marked like ours, but by no rotation of this vault (another vault's): not ours to remove.
        let foreign = Sample.guid().lowercased()
        f.issuer.seed(keyID: foreign, value: "another-vaults-value", displayName: "secrets:\(UUID().uuidString.lowercased())")

        let result = try await f.engine().retireNow("jamf")
        #expect(result.status == .done)
        #expect(result.retired == [f.oldKey])
        #expect(Set(f.issuer.secrets.map(\.keyID)) == [newKey, foreign])
        #expect(result.notes.contains { $0.contains(late) })
        #expect(try f.harness.open().verify().isClean)
    }

    @Test func rollbackMakesThePreviousSecretCurrentAndRedeploysIt() async throws {
        let f = try Self.fixture(expiresInDays: 100)
        defer { f.harness.remove() }
        let newKey = try #require(try await f.engine().run(.all)[0].newKeyID)
        let result = try await f.engine().rollback("jamf")
        #expect(result.status == .done)
        #expect(try f.state(of: f.oldKey) == .current)
        #expect(try f.state(of: newKey) == .previous)
        #expect(f.consumer.holding == "old-secret-value-0-0123456789")
        // Nothing to roll back to once the old one is current again and the new one retired.
        f.clock.advance(days: 0.01)
        let after = try await f.engine().run(.apps(["jamf"]))
        #expect(after[0].retired == [newKey])
        #expect(after[0].newKeyID == nil)
        #expect(try f.state(of: newKey) == .retired)
        #expect(try await f.engine().rollback("jamf").status == .failed)
    }

    @Test func anIssuerWithoutOverlapRetiresTheOldSecretAtOnce() async throws {
        let f = try Self.fixture(keepsPrevious: false)
        defer { f.harness.remove() }
        let results = try await f.engine().run(.due)
        #expect(results[0].status == .done)
        #expect(try f.state(of: f.oldKey) == .retired)
        #expect(try await f.engine().rollback("jamf").status == .failed)
    }

    @Test func concurrentRotationsShareCommits() async throws {
        let f = try Self.fixture(apps: 24)
        defer { f.harness.remove() }
        let engine = try f.engine(concurrency: 12)
        let results = try await engine.run(.due)
        #expect(results.count == 24)
        #expect(results.allSatisfy { $0.status == .done })
        // 24 apps × 5 journal writes each, in fewer commits than writes.
        #expect(engine.commitCount < 24 * 5)
        #expect(try f.harness.open().verify().isClean)
    }

    @Test func anUnknownAppFailsBeforeAnythingHappens() throws {
        let f = try Self.fixture()
        defer { f.harness.remove() }
        #expect(throws: VaultError.appNotFound("nope")) { try f.engine().plan(.apps(["jamf", "nope"])) }
    }
}

/// Polls `condition` for up to ten seconds.
func waitFor(_ condition: () throws -> Bool) async throws {
    for _ in 0..<200 {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition not met within 10 s")
}

import CryptoPrimitives
import Foundation
import Storage
import Rotation
import Testing

@testable import ClientSecrets

/// The cases a review found: what a resumed or half-done run must never do.
@Suite struct RotationRecoveryTests {
    typealias Fixture = RotationEngineTests.Fixture

    @Test func aRollbackResumedBeforeRetirementIsNeverUndoneByIt() async throws {
        let f = try RotationEngineTests.fixture(expiresInDays: 100)
        defer { f.harness.remove() }
        let newKey = try #require(try await f.engine().run(.all)[0].newKeyID)
        // The rollback fails at the consumer, so its journal row stays open.
        f.consumer.failDeploy(.consumerFailed("Jamf Pro unreachable"))
        #expect(try await f.engine().rollback("jamf").status == .failed)
        f.consumer.failDeploy(nil)
        // After the overlap, the run that resumes the rollback must not retire the key it made
        // current; the key it replaced is what goes, as after any rollback.
        f.clock.advance(days: 8)
        let results = try await f.engine().run(.due)
        #expect(results[0].retired == [newKey], "\(results)")
        #expect(try f.state(of: f.oldKey) == .current)
        #expect(try f.state(of: newKey) == .retired)
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
        #expect(f.consumer.holding == "old-secret-value-0-0123456789")
    }

    @Test func aConsumerErrorThatEchoesTheSecretIsStoredScrubbed() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.consumer.echoOnFailure(true)
        let results = try await f.engine().run(.due)
        #expect(results[0].status == .failed, "\(results)")
        let vault = try f.harness.open()
        let errors = try vault.read { db in
            try db.rows(sql: "SELECT * FROM rotations").compactMap { try vault.decodeJournal($0).lastError }
        }
        #expect(!errors.isEmpty)
        for error in errors {
            #expect(error.contains("server said: token [redacted]"), "\(error)")
            #expect(!f.consumer.echoed.isEmpty)
            for value in f.consumer.echoed {
                #expect(!error.contains(Data(value.utf8).base64EncodedString()), "\(error)")
            }
        }
    }

    @Test func aConsumerThatNeedsAPersonHoldsThePreviousSecretUntilConfirmed() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.consumer.needPerson(true)
        let first = try await f.engine().run(.due)
        #expect(first[0].status == .waiting, "\(first)")
        let newKey = try #require(first[0].newKeyID)
        #expect(try f.state(of: newKey) == .current)
        // Long after the overlap, the old secret is still not retired: nobody said Jamf Pro has the new one.
        f.clock.advance(days: 30)
        let waiting = try await f.engine().run(.due)
        #expect(waiting[0].status == .waiting && waiting[0].retired.isEmpty, "\(waiting)")
        #expect(f.issuer.secrets.count == 2)
        // Confirmed: the next runs retire it.
        var options = RotationEngine.Options(concurrency: 1, clock: f.clock.function)
        options.confirmedDeployments = ["jamf"]
        let confirmed = try await RotationEngine(
            vault: try f.harness.open(), environment: FakeEnvironment(issuer: f.issuer, consumer: f.consumer), options: options
        ).run(.apps(["jamf"]))
        #expect(confirmed[0].status == .done, "\(confirmed)")
        #expect(confirmed[0].retired == [f.oldKey])
        #expect(f.issuer.secrets.map(\.keyID) == [newKey])
    }

    @Test func aConsumerThatFailedAfterTakingTheNewSecretGetsTheOldOneBack() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.consumer.takeThenFailOnce()
        let results = try await f.engine().run(.due)
        #expect(results[0].status == .failed)
        #expect(f.consumer.holding == "old-secret-value-0-0123456789")
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
    }

    @Test func anAmbiguousCreateFailureWithoutOverlapIsResumedByThePlainNextRun() async throws {
        let f = try RotationEngineTests.fixture(expiresInDays: 100, keepsPrevious: false)
        defer { f.harness.remove() }
        f.issuer.fail(.create, with: .unavailable("the regeneration request timed out"))
        let first = try await f.engine().run(.all)
        #expect(first[0].status == .failed)
        #expect(try f.harness.open().openJournals().first?.step == .create)
        f.issuer.fail(.create, with: nil)
        // Not due, not forced: the open journal alone makes the next run finish the rotation.
        let second = try await f.engine().run(.due)
        #expect(second[0].status == .done, "\(second)")
        #expect(try f.state(of: f.oldKey) == .retired)
    }

    @Test func aDefinitiveCreateFailureClosesTheJournal() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.issuer.fail(.create, with: .permissionDenied("the rotator does not own the app"))
        #expect(try await f.engine().run(.due)[0].status == .failed)
        #expect(try f.harness.open().openJournals().isEmpty)
    }

    @Test func aStaleJournalRevisionIsRefused() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.consumer.hangOnNextDeploy()
        let stuck = Task { try await f.engine().run(.due) }
        try await waitFor { try f.harness.open().openJournals().first?.step == .deploy }
        // Another process finishes it; the first one, if it ever woke up, could not write over it.
        _ = try await f.engine().run(.due)
        stuck.cancel()
        let journal = try #require(try f.harness.open().journal(of: "jamf").first)
        var stale = journal
        stale.revision -= 1
        stale.step = .abort
        let vault = try f.harness.open()
        let errors = vault.writeBatch([{ writer in try vault.updateJournal(stale, writer: &writer) }])
        #expect(errors.count == 1 && errors[0] != nil)
        #expect(try f.harness.open().journal(of: "jamf").first?.step == .closed)
    }
}

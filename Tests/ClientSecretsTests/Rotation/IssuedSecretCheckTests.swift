import CryptoPrimitives
import Foundation
import Rotation
import Testing

@testable import ClientSecrets

/// The gate for issuer answers (issue 19, findings 4 and 5): the check itself, and the engine
/// refusing an answer without storing it, auditing the refusal and sweeping the secret the issuer made.
@Suite struct IssuedSecretCheckTests {
    static let start = Sample.now
    static let requested = Sample.at(days: 180)

    static func check(known: [String] = []) -> IssuedSecretCheck {
        IssuedSecretCheck(started: start, requestedExpiry: requested, now: start.addingTimeInterval(5), knownKeyIDs: known)
    }

    static func issued(
        keyID: String = Sample.guid(), value: String = "a-good-client-secret-value~0123", validFrom: Date? = start, expires: Date? = requested,
        displayName: String? = "secrets:1"
    ) -> IssuedSecret {
        IssuedSecret(keyID: keyID, value: SecureBytes(copying: Array(value.utf8)), validFrom: validFrom, expires: expires, displayName: displayName)
    }

    @Test func aGoodAnswerPassesNormalised() throws {
        let key = Sample.guid().uppercased()
        let checked = try Self.check().check(Self.issued(keyID: key, expires: nil, displayName: "secrets:1\u{1B}[2J"))
        #expect(checked.keyID == key.lowercased())
        #expect(checked.expires == Self.requested)
        #expect(checked.displayName == "secrets:1\\u{1B}[2J")
    }

    @Test(arguments: [
        ("not-a-guid", "not a GUID"), ("00000000-0000-0000-0000-00000000000g", "not a GUID"),
        ("00000000-0000-0000-0000-000000000000\n", "not a GUID"),
    ])
    func keyIDsThatAreNotGUIDsAreRefused(_ keyID: String, _ reason: String) {
        #expect(throws: RotationFailure.self) { try Self.check().check(Self.issued(keyID: keyID)) }
        do {
            _ = try Self.check().check(Self.issued(keyID: keyID))
        } catch {
            #expect("\(error)".contains(reason))
            #expect(!"\(error)".contains(keyID), "the message quotes the hostile value")
        }
    }

    @Test func aKeyIDTheVaultHoldsIsRefused() {
        let known = Sample.guid()
        #expect(throws: RotationFailure.self) { try Self.check(known: [known]).check(Self.issued(keyID: known.uppercased())) }
    }

    @Test(arguments: ["", "   \t", "abc\u{0}defghijklmno", "\u{1B}]52;c;SGVsbG8=\u{07}abcdefgh", "abc\u{85}defghijk", "abc\u{202E}defghijk",
                      String(repeating: "A", count: Vault.maximumSecretCount + 1)])
    func valuesSecretAddWouldRefuseAreRefused(_ value: String) {
        #expect(throws: RotationFailure.self) { try Self.check().check(Self.issued(value: value)) }
    }

    @Test func aValueThatIsNotUTF8IsRefused() {
        let issued = IssuedSecret(keyID: Sample.guid(), value: SecureBytes(copying: [0x61, 0xFF, 0x62, 0x63]), expires: Self.requested)
        #expect(throws: RotationFailure.self) { try Self.check().check(issued) }
    }

    @Test func theLongestValueIsAccepted() throws {
        _ = try Self.check().check(Self.issued(value: String(repeating: "A", count: Vault.maximumSecretCount)))
    }

    @Test func datesOutsideTheRotationAreRefused() {
        let year9999 = Date(timeIntervalSince1970: 253_402_300_799)
        let year1 = Date(timeIntervalSince1970: -62_135_596_800)
        for (validFrom, expires) in [
            (Self.start, year9999), (Self.start, year1), (year1, Self.requested), (year9999, Self.requested),
            (Self.start, Self.start.addingTimeInterval(-10)), (Self.start, Self.requested.addingTimeInterval(2 * 86_400)),
        ] {
            #expect(throws: RotationFailure.self, "\(validFrom) – \(expires)") {
                try Self.check().check(Self.issued(validFrom: validFrom, expires: expires))
            }
        }
        // Within the clock-skew slack both ways, and an expiry a little earlier than asked: accepted.
        #expect(throws: Never.self) {
            try Self.check().check(Self.issued(validFrom: Self.start.addingTimeInterval(-600), expires: Self.requested.addingTimeInterval(3600)))
        }
    }

    @Test func listingsWithKeyIDsThatAreNotGUIDsAreLeftOut() {
        let good = Sample.guid()
        let listed = IssuedSecretCheck.listed([
            IssuedSecretInfo(keyID: good, displayName: "secrets:1\u{1B}", expires: nil),
            IssuedSecretInfo(keyID: "../x", displayName: "secrets:1", expires: nil),
        ])
        #expect(listed.valid.map(\.keyID) == [good] && listed.invalid == 1)
        #expect(listed.valid.first?.displayName == "secrets:1\\u{1B}")
    }

    // MARK: The engine

    @Test(arguments: [
        HostileIssuer.Mode.keyID("not-a-guid\u{1B}[2J"), .value("abc\u{0}defghijklmnop"), .value(String(repeating: "A", count: 5000)),
        .expires(Date(timeIntervalSince1970: 253_402_300_799)), .duplicateOfCurrent,
    ])
    func theEngineRefusesAHostileAnswerAuditsItAndSweepsTheOrphan(_ mode: HostileIssuer.Mode) async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        let hostile = HostileIssuer(fake: f.issuer, mode: mode, currentKey: f.oldKey)
        let engine = RotationEngine(
            vault: try f.harness.open(), environment: HostileEnvironment(issuer: hostile, consumer: f.consumer),
            options: .init(concurrency: 1, clock: f.clock.function))
        let results = try await engine.run(.due)
        #expect(results.map(\.status) == [.failed])
        #expect(results[0].failure?.message.contains("the issuer's answer was refused") == true, "\(results[0])")
        #expect(results[0].failure?.step == .create)
        guard results[0].failure?.reason?.code == .invalidAnswer else { Issue.record("the typed failure was lost"); return }
        // Nothing stored, the old key current, the consumer untouched, and no orphan at the issuer.
        #expect(try f.credentials().map(\.keyID) == [f.oldKey])
        #expect(try f.state(of: f.oldKey) == .current)
        #expect(f.consumer.holding == "old-secret-value-0-0123456789")
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
        let vault = try f.harness.open()
        #expect(try vault.auditLog().contains { $0.action == .rotationReject && $0.outcome == .failed })
        #expect(try vault.journal(of: "jamf").allSatisfy { !$0.isOpen })
        #expect(try vault.verify().isClean)
        // The next run (an honest answer) rotates.
        hostile.mode = nil
        #expect(try await f.engine().run(.due).map(\.status) == [.done])
    }

    @Test func anIssuerWithoutOverlapKeepsTheRotationOpenSoTheNextRunAsksAgain() async throws {
        let f = try RotationEngineTests.fixture(keepsPrevious: false)
        defer { f.harness.remove() }
        let hostile = HostileIssuer(fake: f.issuer, mode: .value("\u{1B}]0;x\u{07}abcdefghijk"), currentKey: f.oldKey)
        let engine = RotationEngine(
            vault: try f.harness.open(), environment: HostileEnvironment(issuer: hostile, consumer: f.consumer),
            options: .init(concurrency: 1, clock: f.clock.function))
        #expect(try await engine.run(.due).map(\.status) == [.failed])
        #expect(try f.credentials().map(\.keyID) == [f.oldKey])
        #expect(try f.harness.open().journal(of: "jamf").contains { $0.isOpen })
        hostile.mode = nil
        let again = try await f.engine().run(.due)
        #expect(again.map(\.status) == [.done], "\(again)")
        #expect(try f.credentials().count == 2)
    }

    @Test func whenTheSweepFailsTheRotationStaysOpenAndTheNextRunRemovesTheOrphan() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        let hostile = HostileIssuer(fake: f.issuer, mode: .keyID("bogus"), currentKey: f.oldKey)
        f.issuer.fail(.list, with: .unavailable("listing is down"))
        let engine = RotationEngine(
            vault: try f.harness.open(), environment: HostileEnvironment(issuer: hostile, consumer: f.consumer),
            options: .init(concurrency: 1, clock: f.clock.function))
        let results = try await engine.run(.due)
        #expect(results.map(\.status) == [.failed])
        #expect(results[0].notes.contains { $0.contains("the next `secrets rotate jamf` removes it first") }, "\(results[0].notes)")
        // The orphan is still at the issuer, and the journal row is open so that the next run looks for it.
        #expect(f.issuer.secrets.count == 2)
        #expect(try f.harness.open().journal(of: "jamf").contains { $0.isOpen })
        f.issuer.fail(.list, with: nil)
        hostile.mode = nil
        let again = try await RotationEngine(
            vault: try f.harness.open(), environment: HostileEnvironment(issuer: hostile, consumer: f.consumer),
            options: .init(concurrency: 1, clock: f.clock.function)
        ).run(.due)
        #expect(again.map(\.status) == [.done], "\(again)")
        let keys = Set(try f.credentials().map(\.keyID))
        #expect(Set(f.issuer.secrets.map(\.keyID)) == keys, "an orphan is left at the issuer")
        #expect(keys.count == 2)
    }

    @Test func theOrphanSweepNeverRemovesAKeyTheVaultHolds() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        // The listing claims the current key carries this rotation's marker, and lists a key id that is not a GUID.
        let hostile = HostileIssuer(fake: f.issuer, mode: .keyID("bogus"), currentKey: f.oldKey)
        hostile.lieInListings = true
        let engine = RotationEngine(
            vault: try f.harness.open(), environment: HostileEnvironment(issuer: hostile, consumer: f.consumer),
            options: .init(concurrency: 1, clock: f.clock.function))
        #expect(try await engine.run(.due).map(\.status) == [.failed])
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])
        #expect(!hostile.removed.contains(f.oldKey) && !hostile.removed.contains("not-a-guid"))
    }
}

/// The fake issuer behind an answer rewritten the way a hostile server would: the secret is made
/// at the issuer as asked, the answer lies about it.
final class HostileIssuer: Issuer, @unchecked Sendable {
    enum Mode: Sendable, CustomTestStringConvertible {
        case keyID(String), value(String), expires(Date), duplicateOfCurrent
        var testDescription: String {
            switch self {
            case .keyID: "key id"
            case .value(let text): "value of \(text.utf8.count) bytes"
            case .expires(let date): "expires \(date.timeIntervalSince1970)"
            case .duplicateOfCurrent: "duplicate key id"
            }
        }
    }

    let fake: FakeIssuer
    let currentKey: String
    private let lock = NSLock()
    private var storedMode: Mode?
    private var lying = false
    private var removedKeys: [String] = []

    init(fake: FakeIssuer, mode: Mode?, currentKey: String) {
        self.fake = fake
        self.storedMode = mode
        self.currentKey = currentKey
    }

    var mode: Mode? {
        get { lock.withLock { storedMode } }
        set { lock.withLock { storedMode = newValue } }
    }
    var lieInListings: Bool {
        get { lock.withLock { lying } }
        set { lock.withLock { lying = newValue } }
    }
    var removed: [String] { lock.withLock { removedKeys } }

    var keepsPreviousSecret: Bool { fake.keepsPreviousSecret }

    func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        var issued = try await fake.createSecret(request)
        switch mode {
        case .keyID(let keyID)?: issued.keyID = keyID
        case .value(let value)?: issued.value = SecureBytes(copying: Array(value.utf8))
        case .expires(let date)?: issued.expires = date
        case .duplicateOfCurrent?: issued.keyID = currentKey
        case nil: break
        }
        return issued
    }

    func removeSecret(keyID: String) async throws {
        lock.withLock { removedKeys.append(keyID) }
        try await fake.removeSecret(keyID: keyID)
    }

    func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] {
        var listed = try await fake.secrets(markedWith: marker)
        if lieInListings {
            listed.append(IssuedSecretInfo(keyID: currentKey, displayName: "secrets:\(marker)", expires: nil))
            listed.append(IssuedSecretInfo(keyID: "not-a-guid", displayName: "secrets:\(marker)", expires: nil))
        }
        return listed
    }

    func verify(keyID: String, value: SecureBytes) async throws -> String {
        try await fake.verify(keyID: keyID, value: value)
    }
}

/// Hands every app the hostile issuer and the recording consumer.
struct HostileEnvironment: RotationEnvironment {
    let issuer: HostileIssuer
    let consumer: RecordingConsumer

    func issuer(for app: AppRecord, in vault: Vault) throws -> any Issuer { issuer }
    func consumers(for app: AppRecord, in vault: Vault) throws -> [any SecretConsumer] { [consumer] }
}

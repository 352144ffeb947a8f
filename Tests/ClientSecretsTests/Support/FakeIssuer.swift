import CryptoPrimitives
import Foundation

@testable import ClientSecrets
import Rotation

/// An in-memory issuer with the behaviour the engine relies on (overlap, idempotent removal,
/// display-name search) and switches to make each operation fail or hang.
final class FakeIssuer: Issuer, @unchecked Sendable {
    struct Secret: Equatable {
        var keyID: String
        var value: String
        var displayName: String?
    }

    enum Operation: Hashable { case create, remove, list, verify }

    let keepsPreviousSecret: Bool
    private let lock = NSLock()
    private var stored: [Secret] = []
    private var failures: [Operation: RotationFailure] = [:]
    private var hangAfterCreate = false
    private var counter = 0

    init(keepsPreviousSecret: Bool = true) { self.keepsPreviousSecret = keepsPreviousSecret }

    /// The secrets the issuer holds now.
    var secrets: [Secret] { lock.withLock { stored } }

    /// Seeds a secret as if made in a portal (or, with a display name, by a create the caller never heard back from).
    func seed(keyID: String, value: String, displayName: String? = nil) {
        lock.withLock { stored.append(Secret(keyID: keyID, value: value, displayName: displayName)) }
    }

    /// Makes `operation` throw `failure` until cleared with `nil`.
    func fail(_ operation: Operation, with failure: RotationFailure?) { lock.withLock { failures[operation] = failure } }

    /// Makes the next create store its secret and then never answer, like a process killed
    /// between the issuer's reply and the vault's commit.
    func hangAfterNextCreate() { lock.withLock { hangAfterCreate = true } }

    private func check(_ operation: Operation) throws {
        if let failure = lock.withLock({ failures[operation] }) { throw failure }
    }

    func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        try check(.create)
        let (secret, hang): (Secret, Bool) = lock.withLock {
            counter += 1
            let secret = Secret(keyID: UUID().uuidString.lowercased(), value: "fake-secret-value-\(counter)-\(UUID().uuidString)", displayName: request.displayName)
            stored.append(secret)
            defer { hangAfterCreate = false }
            return (secret, hangAfterCreate)
        }
        if hang { try await Task.sleep(for: .seconds(3600)) }
        return IssuedSecret(
            keyID: secret.keyID, value: SecureBytes(copying: Array(secret.value.utf8)), expires: request.expires, displayName: request.displayName)
    }

    func removeSecret(keyID: String) async throws {
        try check(.remove)
        lock.withLock { stored.removeAll { $0.keyID == keyID } }
    }

    func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] {
        try check(.list)
        return lock.withLock {
            stored.filter { $0.displayName?.contains(marker) == true }.map { IssuedSecretInfo(keyID: $0.keyID, displayName: $0.displayName, expires: nil) }
        }
    }

    func verify(keyID: String, value: SecureBytes) async throws -> String {
        try check(.verify)
        let text = value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        guard lock.withLock({ stored.contains { $0.keyID == keyID && $0.value == text } }) else {
            throw RotationFailure.verificationFailed("the fake issuer does not hold key \(keyID) with that value")
        }
        return "fake issuer accepted key \(keyID)"
    }
}

/// A consumer that remembers the value it was last given, and can fail or hang.
final class RecordingConsumer: SecretConsumer, @unchecked Sendable {
    let summary = "recording consumer"
    private let lock = NSLock()
    private var values: [String] = []
    private var deployFailure: RotationFailure?
    private var hangNextDeploy = false
    private var failAfterTaking = false
    private var personNeeded = false
    private var echoing = false
    private var echoedValues: [String] = []
    /// The values echoed in failure messages.
    var echoed: [String] { lock.withLock { echoedValues } }

    /// Every value deployed, in order.
    var deployed: [String] { lock.withLock { values } }
    /// The value the consumer holds now.
    var holding: String? { deployed.last }

    /// Starts the consumer off holding `value`, as configured before any rotation.
    func seed(_ value: String) { lock.withLock { values.append(value) } }

    func failDeploy(_ failure: RotationFailure?) { lock.withLock { deployFailure = failure } }
    func hangOnNextDeploy() { lock.withLock { hangNextDeploy = true } }
    /// The next deploy takes the value and then fails, like a hook killed after writing it.
    func takeThenFailOnce() { lock.withLock { failAfterTaking = true } }
    /// Deploys only say what a person must do (a Jamf Pro consumer without an apply command).
    func needPerson(_ value: Bool) { lock.withLock { personNeeded = value } }
    /// Deploys fail with a message that echoes the value in base64, as a hostile server might.
    func echoOnFailure(_ value: Bool) { lock.withLock { echoing = value } }

    func deploy(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        let (failure, hang) = lock.withLock { () -> (RotationFailure?, Bool) in
            defer { hangNextDeploy = false }
            return (deployFailure, hangNextDeploy)
        }
        if hang { try await Task.sleep(for: .seconds(3600)) }
        if lock.withLock({ echoing }) {
            let encoded = delivery.value.withUnsafeBytes { Data($0).base64EncodedString() }
            lock.withLock { echoedValues.append(delivery.value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }) }
            throw RotationFailure.consumerFailed("server said: token \(encoded) is not accepted here")
        }
        if let failure { throw failure }
        let text = delivery.value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        let (failAfter, person): (Bool, Bool) = lock.withLock {
            if personNeeded { return (false, true) }
            values.append(text)
            defer { failAfterTaking = false }
            return (failAfterTaking, false)
        }
        if person { return .needsPerson("paste key \(delivery.credential.keyID) into the form") }
        if failAfter { throw RotationFailure.consumerFailed("the hook was killed after it wrote the secret") }
        return .done("recorded key \(delivery.credential.keyID)")
    }

    /// Verify answers "not verified yet" (a canary that has not reported since the change).
    func notVerifiedYet(_ value: Bool) { lock.withLock { unverified = value } }
    private var unverified = false

    func verify(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        lock.withLock { unverified } ? .needsPerson("no report since key \(delivery.credential.keyID) was applied") : .done("nothing to check")
    }
}

/// Hands every app the same fake issuer and consumer.
struct FakeEnvironment: RotationEnvironment {
    let issuer: FakeIssuer
    let consumer: RecordingConsumer

    func issuer(for app: AppRecord, in vault: Vault) throws -> any Issuer { issuer }
    func consumers(for app: AppRecord, in vault: Vault) throws -> [any SecretConsumer] { [consumer] }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(days: Double) { lock.withLock { current = current.addingTimeInterval(days * 86_400) } }
    var function: @Sendable () -> Date { { self.now } }
}

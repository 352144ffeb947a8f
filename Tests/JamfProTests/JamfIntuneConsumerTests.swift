import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Hooks
import Rotation
import Testing

@testable import JamfPro
@testable import JamfProAPI
import ProcessHarness

/// Secrets the emulated Entra ID accepts, changeable while a test runs.
actor AcceptedSecrets {
    private var secrets: Set<String>
    init(_ secrets: Set<String>) { self.secrets = secrets }
    func contains(_ secret: String) -> Bool { secrets.contains(secret) }
    func revoke(_ secret: String) { secrets.remove(secret) }
}

/// The Jamf Pro Intune consumer: the apply command gets the payload on stdin only, failures and
/// hangs become consumer failures without the secret, and verification reads the canary.
@Suite struct JamfIntuneConsumerTests {
    static func consumer(url: URL, apply: String?, canary: String? = EmulatorHarness.canary) -> Consumer {
        Consumer(kind: .jamfProIntune, target: url.absoluteString, apiClient: "jamf-api", canaryComputerID: canary, applyCommand: apply)
    }

    static func make(
        _ consumer: Consumer, apiClient: JamfAPIClientCredentials? = JamfProClientTests.credentials, directory: String? = nil,
        timeout: TimeInterval = 20, canaryWait: TimeInterval = 0
    ) throws -> JamfIntuneConsumer {
        try JamfIntuneConsumer(
            consumer: consumer, apiClient: apiClient, payloadDirectory: directory,
            runner: CommandRunner(timeout: timeout, terminationGrace: 1, inheritedEnvironment: Self.environment),
            canaryWait: canaryWait, canaryInterval: 0.1, configuration: EmulatorHarness.quick)
    }

    /// A delivery as a rotation makes it: the vault recorded the new secret (`created`) a minute
    /// before the consumer gets it, so a canary report made after the apply is newer than both.
    /// (``Sample/delivery(app:value:rotationID:)`` has fixed 2027 dates for exact documents; a
    /// secret created after every report could never be verified, and rightly so.)
    static func delivery(created: Date = Date().addingTimeInterval(-60)) -> SecretDelivery {
        var delivery = Sample.delivery()
        delivery.credential.created = created
        delivery.credential.validFrom = created
        return delivery
    }

    /// What the apply command inherits: ordinary variables and ones that must not reach it.
    static let environment = [
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/home/admin", "LANG": "C.UTF-8",
        "SECRETS_PASSPHRASE_FILE": "/home/admin/.secrets-passphrase", "SECRETS_IDENTITY": "/home/admin/identity.txt", "SECRETS_VAULT": "/srv/vault.sqlite",
    ]

    static func curlApply(_ url: URL) -> String {
        "curl -sf -X PUT --data-binary @- \(url.absoluteString)/_emulator/intune-integration"
    }

    @Test func theApplyCommandGetsThePayloadOnStdinAndNowhereElse() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { _, url in
            let apply = #"cat > "$0/stdin"; printf "%s\n" "$0" "$@" > "$0/argv"; env > "$0/env"; cat /proc/$$/cmdline > "$0/cmdline""#
            let consumer = try Self.make(Self.consumer(url: url, apply: "sh -c '\(apply)' '\(directory.path)' first second"))
            let delivery = Self.delivery()
            let outcome = try await consumer.deploy(delivery)
            guard case .done(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains(Sample.keyID))

            let expected = JamfIntunePayload.update(delivery: delivery, jamfProURL: url.absoluteString, reveal: true, canaryComputerID: EmulatorHarness.canary)
            let stdin = directory.contents("stdin")
            let document = try #require(try JSONSerialization.jsonObject(with: stdin) as? [String: Any])
            let settings = try #require(document["settings"] as? [String: Any])
            #expect(settings["clientSecret"] as? String == Sample.secretText)
            var received = document
            var reference = try #require(try JSONSerialization.jsonObject(with: expected.json().withUnsafeBytes { Data($0) }) as? [String: Any])
            received["generatedAt"] = nil
            reference["generatedAt"] = nil
            #expect(NSDictionary(dictionary: received) == NSDictionary(dictionary: reference))

            let argv = String(decoding: directory.contents("argv"), as: UTF8.self)
            #expect(argv == "\(directory.path)\nfirst\nsecond\n")
            let environment = String(decoding: directory.contents("env"), as: UTF8.self)
            let cmdline = String(decoding: directory.contents("cmdline"), as: UTF8.self)
            for leak in [Sample.secretText, "Kd/3mP", "/home/admin/.secrets-passphrase", "/srv/vault.sqlite"] {
                #expect(!environment.contains(leak))
                #expect(!argv.contains(leak))
                #expect(!cmdline.contains(leak))
            }
            #expect(environment.contains("SECRETS_APP_LABEL=jamf-intune"))
            #expect(environment.contains("SECRETS_APP_ID=\(Sample.appID)"))
            #expect(environment.contains("SECRETS_KEY_ID=\(Sample.keyID)"))
            #expect(environment.contains("SECRETS_ROTATION_ID=rotation-1"))
            #expect(environment.contains("HOME=/home/admin"))
        }
    }

    @Test func aFailingApplyCommandIsAConsumerFailureWithoutItsOutput() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let shown = ShownLines()
            let consumer = try JamfIntuneConsumer(
                consumer: Self.consumer(url: url, apply: #"echo could not apply: >&2; grep '"clientSecret":' >&2; exit 3"#),
                apiClient: JamfProClientTests.credentials,
                runner: CommandRunner(timeout: 20, terminationGrace: 1, inheritedEnvironment: Self.environment, failureOutput: shown.sink),
                configuration: EmulatorHarness.quick)
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Self.delivery()) }
            guard let text = error.flatMap({ $0.code == .consumerFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text == "the apply command for \(url.absoluteString) exited with status 3")
            #expect(shown.text.contains("could not apply"))
            #expect(shown.text.contains("[redacted]"))
            #expect(!shown.text.contains("Kd/3mP"))
            #expect(shown.text.count < 600)
        }
    }

    @Test func aHangingApplyCommandIsStoppedQuickly() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: "trap '' TERM; sleep 30; sleep 30"), timeout: 1)
            let start = Date()
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Self.delivery()) }
            guard let text = error.flatMap({ $0.code == .consumerFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("did not finish within 1 s"))
            #expect(Date().timeIntervalSince(start) < 10)
        }
    }

    @Test func withoutAnApplyCommandAPersonIsToldWhatToRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { _, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: nil), directory: directory.path + "/payloads")
            let outcome = try await consumer.deploy(Self.delivery())
            guard case .needsPerson(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("secrets jamf payload jamf-intune --reveal"))
            #expect(text.contains("Conditional Access > macOS Intune Integration"))

            let name = "payloads/jamf-intune-jamf-intune-\(Sample.keyID).json"
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path(name))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let kept = directory.contents(name)
            #expect(!String(decoding: kept, as: UTF8.self).contains("Kd/3mP"))
            #expect(try await SchemaValidator.violations(of: kept) == [])
        }
    }

    @Test func applyingThroughTheEmulatorThenVerifyingTheCanary() async throws {
        let accepted = AcceptedSecrets([Sample.secretText])
        try await EmulatorHarness.withEmulator(validator: { _, _, secret in await accepted.contains(secret) }) { emulator, url in
            // The sample apply command of Examples/jamf-payload, as a site would configure it.
            let script = Sample.repositoryRoot + "/Examples/jamf-payload/apply-to-emulator.sh"
            let consumer = try Self.make(Self.consumer(url: url, apply: "'\(script)' \(url.absoluteString)"))
            let delivery = Self.delivery()
            _ = try await consumer.deploy(delivery)
            let saved = try #require(await emulator.configuredIntegration())
            #expect(saved.secret == Sample.secretText && saved.appID == Sample.appID && saved.tenant == Sample.tenant && saved.enabled)

            // The canary sends inventory after the change (`jamf recon`).
            #expect(await emulator.report(computerID: EmulatorHarness.canary))
            let outcome = try await consumer.verify(delivery)
            guard case .done(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("COMPLIANT") && text.contains("sent inventory at") && text.contains("after secret \(Sample.keyID) was applied"))

            // Entra ID stops accepting the secret: the next report tells Intune nothing.
            await accepted.revoke(Sample.secretText)
            await emulator.report(computerID: EmulatorHarness.canary)
            let error = await #expect(throws: RotationFailure.self) { try await consumer.verify(delivery) }
            guard let reason = error.flatMap({ $0.code == .verificationFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(reason.contains("UNKNOWN"))
        }
    }

    @Test func jamfProRefusesToSaveASecretThatDoesNotWork() async throws {
        try await EmulatorHarness.withEmulator(validator: { _, _, _ in false }) { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)))
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Self.delivery()) }
            guard let text = error.flatMap({ $0.code == .consumerFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("exited with status 22"))
            #expect(await emulator.configuredIntegration() == nil)
        }
    }

    @Test func aNonCompliantCanaryStillProvesTheIntegrationWorks() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.addComputer(id: "43", complianceState: "NON_COMPLIANT")
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url), canary: "43"))
            _ = try await consumer.deploy(Self.delivery())
            await emulator.report(computerID: "43")
            let outcome = try await consumer.verify(Self.delivery())
            #expect(outcome.message.contains("NON_COMPLIANT"))
        }
    }

    @Test func aCanaryOutOfScopeOrADisconnectedIntegrationFailsVerification() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.addComputer(id: "44", applicable: false)
            let outOfScope = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url), canary: "44"))
            _ = try await outOfScope.deploy(Self.delivery())
            await emulator.report(computerID: "44")
            await #expect(throws: RotationFailure.self) { try await outOfScope.verify(Self.delivery()) }
            do { _ = try await outOfScope.verify(Self.delivery()) } catch let caught as RotationFailure where caught.code == .verificationFailed {
                let text = caught.reason
                #expect(text.contains("not in scope"))
            }

            let disconnect = JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: url.absoluteString)
            let result = try await CommandRunner(timeout: 20).run(
                Self.curlApply(url), input: disconnect.json(),
                context: CommandRunner.Context(appLabel: "jamf-intune", appID: Sample.appID, keyID: Sample.keyID, rotationID: nil))
            #expect(result.succeeded)
            #expect(await emulator.configuredIntegration()?.enabled == false)
            await emulator.report(computerID: EmulatorHarness.canary)
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)))
            try consumer.applied.record(Date().addingTimeInterval(-60), label: "jamf-intune", keyID: Sample.keyID)
            do {
                _ = try await consumer.verify(Self.delivery())
                Issue.record("verified a disconnected integration")
            } catch let caught as RotationFailure where caught.code == .verificationFailed {
                let text = caught.reason
                #expect(text.contains("no compliance information"))
            }
        }
    }

    @Test func withoutAnAPIClientOrACanaryAPersonChecks() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let noClient = try Self.make(Self.consumer(url: url, apply: nil), apiClient: nil)
            guard case .needsPerson(let text) = try await noClient.verify(Self.delivery()) else { Issue.record("expected a person"); return }
            #expect(text.contains("Partner device management"))
            let noCanary = try Self.make(Self.consumer(url: url, apply: nil, canary: nil))
            guard case .needsPerson(let other) = try await noCanary.verify(Self.delivery()) else { Issue.record("expected a person"); return }
            #expect(other.contains("no canary computer"))
        }
    }

    // MARK: Canary freshness

    @Test func aCanaryThatHasNotReportedSinceTheApplyIsNotVerifiedYet() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)))
            _ = try await consumer.deploy(Self.delivery())
            // Jamf Pro holds the new secret and its compliance answer says COMPLIANT, but that is
            // what the canary's last report, made before the change, left there.
            #expect(try await JamfProClient(url: url.absoluteString).complianceInformation(
                computerID: EmulatorHarness.canary, token: JamfProClient(url: url.absoluteString).token(for: JamfProClientTests.credentials)
            ).first?.complianceState == "COMPLIANT")
            let outcome = try await consumer.verify(Self.delivery())
            guard case .needsPerson(let text) = outcome else { Issue.record("a stale report was verified: \(outcome)"); return }
            #expect(text.hasPrefix("not verified yet"), "\(text)")
            #expect(text.contains("sudo jamf recon") && text.contains("secrets rotate jamf-intune"))
            #expect(!text.contains("COMPLIANT"))
        }
    }

    @Test func verifyWaitsForAReportMadeAfterTheApply() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), canaryWait: 20)
            _ = try await consumer.deploy(Self.delivery())
            let started = Date()
            let recon = Task {
                try await Task.sleep(for: .milliseconds(700))
                await emulator.report(computerID: EmulatorHarness.canary)
            }
            let outcome = try await consumer.verify(Self.delivery())
            try await recon.value
            guard case .done(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("COMPLIANT"))
            #expect(Date().timeIntervalSince(started) < 15)
            let reads = await emulator.requests().filter { $0.operation == .computerInventory }
            #expect(reads.count >= 2 && reads.allSatisfy { $0.query == "section=GENERAL" }, "\(reads)")
        }
    }

    @Test func theWaitIsBounded() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), canaryWait: 1)
            _ = try await consumer.deploy(Self.delivery())
            let started = Date()
            let outcome = try await consumer.verify(Self.delivery())
            guard case .needsPerson(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("waited 1s"), "\(text)")
            #expect(Date().timeIntervalSince(started) < 20)
        }
    }

    @Test func aReportWhileJamfProHeldARefusedSecretFailsVerification() async throws {
        let accepted = AcceptedSecrets([Sample.secretText])
        try await EmulatorHarness.withEmulator(validator: { _, _, secret in await accepted.contains(secret) }) { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)))
            _ = try await consumer.deploy(Self.delivery())
            await accepted.revoke(Sample.secretText)
            await emulator.report(computerID: EmulatorHarness.canary)
            do {
                let outcome = try await consumer.verify(Self.delivery())
                Issue.record("verified: \(outcome)")
            } catch let caught as RotationFailure where caught.code == .verificationFailed {
                let text = caught.reason
                #expect(text.contains("UNKNOWN") && text.contains("after secret \(Sample.keyID) was applied"), "\(text)")
            }
        }
    }

    @Test func withoutAnApplyCommandVerifyWaitsForThePersonEvenWithNothingSaved() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: nil))
            _ = try await consumer.deploy(Self.delivery())
            #expect(await emulator.configuredIntegration() == nil)
            await emulator.report(computerID: EmulatorHarness.canary)
            let outcome = try await consumer.verify(Self.delivery())
            guard case .needsPerson(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.hasPrefix("not verified yet") && text.contains("--confirm-deployed"), "\(text)")
        }
    }

    @Test func theApplyMomentOutlivesTheRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { emulator, url in
            let first = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), directory: directory.path + "/payloads")
            _ = try await first.deploy(Self.delivery())
            let name = "payloads/jamf-intune-jamf-intune-\(Sample.keyID).applied"
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path(name))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(!String(decoding: directory.contents(name), as: UTF8.self).contains("Kd/3mP"))
            await emulator.report(computerID: EmulatorHarness.canary)
            // A later run (a resumed verify) builds a new consumer: it reads the moment back.
            let later = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), directory: directory.path + "/payloads")
            let outcome = try await later.verify(Self.delivery())
            guard case .done = outcome else { Issue.record("got \(outcome)"); return }
        }
    }

    @Test func onlyJamfConsumersAreAccepted() {
        #expect(throws: RotationFailure.self) { try JamfIntuneConsumer(consumer: Consumer(kind: .command, target: "/bin/true")) }
    }
}

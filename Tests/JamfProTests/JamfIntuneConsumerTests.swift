import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
import Testing

@testable import JamfPro
@testable import JamfProAPI

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
        timeout: TimeInterval = 20
    ) throws -> JamfIntuneConsumer {
        try JamfIntuneConsumer(
            consumer: consumer, apiClient: apiClient, payloadDirectory: directory,
            runner: CommandRunner(timeout: timeout, terminationGrace: 1, inheritedEnvironment: Self.environment),
            configuration: EmulatorHarness.quick)
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
            let delivery = Sample.delivery()
            let outcome = try await consumer.deploy(delivery)
            guard case .done(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains(Sample.keyID))

            let expected = JamfIntunePayload.update(delivery: delivery, jamfProURL: url.absoluteString, reveal: true, canaryComputerID: EmulatorHarness.canary)
            let stdin = directory.read("stdin")
            let document = try #require(try JSONSerialization.jsonObject(with: stdin) as? [String: Any])
            let settings = try #require(document["settings"] as? [String: Any])
            #expect(settings["clientSecret"] as? String == Sample.secretText)
            var received = document
            var reference = try #require(try JSONSerialization.jsonObject(with: expected.json().withUnsafeBytes { Data($0) }) as? [String: Any])
            received["generatedAt"] = nil
            reference["generatedAt"] = nil
            #expect(NSDictionary(dictionary: received) == NSDictionary(dictionary: reference))

            let argv = String(decoding: directory.read("argv"), as: UTF8.self)
            #expect(argv == "\(directory.path)\nfirst\nsecond\n")
            let environment = String(decoding: directory.read("env"), as: UTF8.self)
            let cmdline = String(decoding: directory.read("cmdline"), as: UTF8.self)
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
            let shown = CommandConsumerTests.Shown()
            let consumer = try JamfIntuneConsumer(
                consumer: Self.consumer(url: url, apply: #"echo could not apply: >&2; grep '"clientSecret":' >&2; exit 3"#),
                apiClient: JamfProClientTests.credentials,
                runner: CommandRunner(timeout: 20, terminationGrace: 1, inheritedEnvironment: Self.environment, failureOutput: shown.sink),
                configuration: EmulatorHarness.quick)
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Sample.delivery()) }
            guard case .consumerFailed(let text)? = error else { Issue.record("got \(String(describing: error))"); return }
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
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Sample.delivery()) }
            guard case .consumerFailed(let text)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("did not finish within 1 s"))
            #expect(Date().timeIntervalSince(start) < 10)
        }
    }

    @Test func withoutAnApplyCommandAPersonIsToldWhatToRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { _, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: nil), directory: directory.path + "/payloads")
            let outcome = try await consumer.deploy(Sample.delivery())
            guard case .needsPerson(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("secrets jamf payload jamf-intune --reveal"))
            #expect(text.contains("Conditional Access > macOS Intune Integration"))

            let name = "payloads/jamf-intune-jamf-intune-\(Sample.keyID).json"
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path(name))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let kept = directory.read(name)
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
            let delivery = Sample.delivery()
            _ = try await consumer.deploy(delivery)
            let saved = try #require(await emulator.configuredIntegration())
            #expect(saved.secret == Sample.secretText && saved.appID == Sample.appID && saved.tenant == Sample.tenant && saved.enabled)

            let outcome = try await consumer.verify(delivery)
            guard case .done(let text) = outcome else { Issue.record("got \(outcome)"); return }
            #expect(text.contains("COMPLIANT"))

            // Entra ID stops accepting the secret: Intune no longer hears from Jamf Pro.
            await accepted.revoke(Sample.secretText)
            let error = await #expect(throws: RotationFailure.self) { try await consumer.verify(delivery) }
            guard case .verificationFailed(let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(reason.contains("UNKNOWN"))
        }
    }

    @Test func jamfProRefusesToSaveASecretThatDoesNotWork() async throws {
        try await EmulatorHarness.withEmulator(validator: { _, _, _ in false }) { emulator, url in
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url)))
            let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Sample.delivery()) }
            guard case .consumerFailed(let text)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(text.contains("exited with status 22"))
            #expect(await emulator.configuredIntegration() == nil)
        }
    }

    @Test func aNonCompliantCanaryStillProvesTheIntegrationWorks() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.addComputer(id: "43", complianceState: "NON_COMPLIANT")
            let consumer = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url), canary: "43"))
            _ = try await consumer.deploy(Sample.delivery())
            let outcome = try await consumer.verify(Sample.delivery())
            #expect(outcome.message.contains("NON_COMPLIANT"))
        }
    }

    @Test func aCanaryOutOfScopeOrADisconnectedIntegrationFailsVerification() async throws {
        try await EmulatorHarness.withEmulator { emulator, url in
            await emulator.addComputer(id: "44", applicable: false)
            let outOfScope = try Self.make(Self.consumer(url: url, apply: Self.curlApply(url), canary: "44"))
            _ = try await outOfScope.deploy(Sample.delivery())
            await #expect(throws: RotationFailure.self) { try await outOfScope.verify(Sample.delivery()) }
            do { _ = try await outOfScope.verify(Sample.delivery()) } catch RotationFailure.verificationFailed(let text) {
                #expect(text.contains("not in scope"))
            }

            let disconnect = JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: url.absoluteString)
            let result = try await CommandRunner(timeout: 20).run(
                Self.curlApply(url), input: disconnect.json(),
                context: CommandRunner.Context(appLabel: "jamf-intune", appID: Sample.appID, keyID: Sample.keyID, rotationID: nil))
            #expect(result.succeeded)
            #expect(await emulator.configuredIntegration()?.enabled == false)
            let consumer = try Self.make(Self.consumer(url: url, apply: nil))
            do {
                _ = try await consumer.verify(Sample.delivery())
                Issue.record("verified a disconnected integration")
            } catch RotationFailure.verificationFailed(let text) {
                #expect(text.contains("no compliance information"))
            }
        }
    }

    @Test func withoutAnAPIClientOrACanaryAPersonChecks() async throws {
        try await EmulatorHarness.withEmulator { _, url in
            let noClient = try Self.make(Self.consumer(url: url, apply: nil), apiClient: nil)
            guard case .needsPerson(let text) = try await noClient.verify(Sample.delivery()) else { Issue.record("expected a person"); return }
            #expect(text.contains("Partner device management"))
            let noCanary = try Self.make(Self.consumer(url: url, apply: nil, canary: nil))
            guard case .needsPerson(let other) = try await noCanary.verify(Sample.delivery()) else { Issue.record("expected a person"); return }
            #expect(other.contains("no canary computer"))
        }
    }

    @Test func onlyJamfConsumersAreAccepted() {
        #expect(throws: RotationFailure.self) { try JamfIntuneConsumer(consumer: Consumer(kind: .command, target: "/bin/true")) }
    }
}

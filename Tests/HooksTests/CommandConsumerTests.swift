#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClientSecrets
import CryptoPrimitives
import Foundation
import Hooks
import ProcessHarness
import Testing

/// The command consumer and the runner behind every hook: exact bytes on stdin, a clean
/// environment, bounded output and time.
@Suite struct CommandConsumerTests {
    static let context = CommandRunner.Context(appLabel: "jamf-intune", appID: Sample.appID, keyID: Sample.keyID, rotationID: nil)

    @Test func theCommandGetsExactlyTheValueBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let consumer = CommandConsumer(command: "cat > '\(directory.path("value"))'", runner: CommandRunner(timeout: 10))
        let outcome = try await consumer.deploy(Sample.delivery())
        #expect(outcome.message.hasSuffix("took secret \(Sample.keyID)"))
        #expect(directory.contents("value") == Data(Sample.secretText.utf8))
    }

    @Test func verificationAsksAPersonUnlessTheExitStatusVerifies() async throws {
        let plain = try CommandConsumer(consumer: Consumer(kind: .command, target: "/bin/true"))
        guard case .needsPerson(let text) = try await plain.verify(Sample.delivery()) else { Issue.record("expected a person"); return }
        #expect(text.contains(Sample.keyID))
        let trusted = CommandConsumer(command: "/bin/true", exitStatusVerifies: true)
        guard case .done = try await trusted.verify(Sample.delivery()) else { Issue.record("expected done"); return }
    }

    @Test func aFailingCommandIsAConsumerFailureThatHoldsNoneOfItsOutput() async throws {
        let shown = ShownLines()
        // Prints the value, its base64, and all but its last character, on both streams.
        let command = #"v=$(cat); printf 'rejected: %s\n' "$v" >&2; printf 'b64 %s\n' "$(printf %s "$v" | base64 -w0)" >&2; printf 'almost %s\n' "${v%?}"; exit 4"#
        let consumer = CommandConsumer(command: command, runner: CommandRunner(timeout: 10, failureOutput: shown.sink))
        let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Sample.delivery()) }
        guard let text = error.flatMap({ $0.code == .consumerFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
        // The error is what the journal stores: how the command ended, nothing it printed.
        #expect(text == "\(consumer.summary) exited with status 4")
        // The administrator sees the output on stderr, scrubbed.
        #expect(shown.text.hasPrefix("secrets: \(consumer.summary) exited with status 4; its stderr: rejected: [redacted]"), "\(shown.text)")
        #expect(shown.text.contains("b64 [redacted]"), "\(shown.text)")
        #expect(shown.text.contains("its stdout: almost [redacted]"), "\(shown.text)")
        for form in [Sample.secretText, Data(Sample.secretText.utf8).base64EncodedString(), String(Sample.secretText.dropLast())] {
            #expect(!text.contains(form) && !shown.text.contains(form))
        }
    }

    @Test func aTimedOutCommandSaysSoAndNothingElse() async throws {
        let shown = ShownLines()
        let runner = CommandRunner(timeout: 0.5, terminationGrace: 0.5, failureOutput: shown.sink)
        let consumer = CommandConsumer(command: "cat; sleep 30", runner: runner)
        let error = await #expect(throws: RotationFailure.self) { try await consumer.deploy(Sample.delivery()) }
        guard let text = error.flatMap({ $0.code == .consumerFailed ? $0.reason : nil }) else { Issue.record("got \(String(describing: error))"); return }
        #expect(text == "\(consumer.summary) did not finish within 1 s and was stopped")
        #expect(shown.text.contains("its stdout: [redacted]"), "\(shown.text)")
    }

    @Test func theCommandStartsWithOnlyStandardDescriptorsOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A descriptor this process holds without close-on-exec, as a library's socket may be.
        let held = open("/dev/null", O_RDONLY)
        try #require(held > 2)
        defer { close(held) }
        _ = fcntl(held, F_SETFD, 0)
        let runner = CommandRunner(timeout: 10)
        let result = try await runner.run("ls /proc/self/fd > '\(directory.path("fds"))'", input: Sample.value(), context: Self.context)
        #expect(result.succeeded)
        let listed = String(decoding: directory.contents("fds"), as: UTF8.self).split(separator: "\n").map(String.init)
        // 0, 1 (the listing), 2, and the directory `ls` opens to list them.
        #expect(listed == ["0", "1", "2", "3"], "inherited: \(listed); held \(held)")
    }

    @Test func onlyCommandConsumersAreAccepted() {
        #expect(throws: RotationFailure.self) {
            try CommandConsumer(consumer: Consumer(kind: .jamfProIntune, target: "https://example.jamfcloud.com"))
        }
    }

    @Test func secretsVariablesAreRemovedAndRotationVariablesAdded() {
        let runner = CommandRunner(inheritedEnvironment: ["SECRETS_PASSPHRASE_FILE": "/p", "secrets_vault": "/v", "HTTPS_PROXY": "http://proxy:3128"])
        let environment = runner.environment(for: Self.context)
        #expect(environment["SECRETS_PASSPHRASE_FILE"] == nil)
        #expect(environment["secrets_vault"] == nil)
        #expect(environment["HTTPS_PROXY"] == "http://proxy:3128")
        #expect(environment["PATH"] != nil)
        #expect(environment["SECRETS_KEY_ID"] == Sample.keyID)
        #expect(environment["SECRETS_ROTATION_ID"] == "")
    }

    @Test func outputIsCappedAndACommandIgnoringItsInputIsFine() async throws {
        let runner = CommandRunner(timeout: 20, outputLimit: 1000)
        let big = SecureBytes(count: 1 << 20) { $0.initializeMemory(as: UInt8.self, repeating: 0x61) }
        let result = try await runner.run("head -c 300000 /dev/zero | tr '\\0' a; echo done >&2", input: big, context: Self.context)
        #expect(result.succeeded)
        #expect(result.standardOutput.count == 1000)
        #expect(String(decoding: result.standardError, as: UTF8.self) == "done\n")
    }

    @Test func aTimeoutEndsTheWholeProcessGroup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runner = CommandRunner(timeout: 0.5, terminationGrace: 0.5)
        let start = Date()
        // A background grandchild that would outlive a signal sent to the shell alone.
        let result = try await runner.run(
            "sleep 30 & echo $! > '\(directory.path("pid"))'; wait", input: Sample.value(), context: Self.context)
        #expect(result.timedOut)
        #expect(result.exitStatus == nil)
        #expect(Date().timeIntervalSince(start) < 10)
        let pid = try #require(Int32(String(decoding: directory.contents("pid"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        var alive = true
        for _ in 0..<60 where alive {
            alive = kill(pid, 0) == 0
            if alive { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        #expect(!alive, "the grandchild \(pid) survived the timeout")
    }

    @Test func cancellingTheTaskStopsTheCommand() async throws {
        let runner = CommandRunner(timeout: 60, terminationGrace: 0.5)
        let start = Date()
        let task = Task { try await runner.run("sleep 30", input: Sample.value(), context: Self.context) }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func excerptsRedactBeforeTheyTruncate() {
        let secret = Sample.value("0123456789")
        let text = CommandRunner.excerpt(Data("abc 0123456789 def\n0123456789".utf8), redacting: [secret], limit: 30)
        #expect(text == "abc [redacted] def [redacted]")
        let cut = CommandRunner.excerpt(Data("xx0123456789".utf8), redacting: [secret], limit: 5)
        #expect(!cut.contains("012"))
    }
}

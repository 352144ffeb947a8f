#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ProcessHarness
import Testing

extension Sandbox {
    /// A shell snippet for the start of an apply command or a command consumer: it writes the pid
    /// of the `secrets` process running it (the parent of `/bin/sh -c`) into `pidFile`, so that a
    /// test can kill that process at a point it chooses (``runKilled(_:pidFile:when:timeout:)``).
    static func announcePID(to pidFile: String) -> String {
        "echo $PPID > '\(pidFile)'"
    }

    /// Runs `secrets` with `arguments` and kills it with SIGKILL (a power cut) once `pidFile`
    /// names it and `ready` holds: the kill lands where the test says, not after a guessed delay.
    /// The test fails if that point is not reached within `timeout` seconds or if the run ends by
    /// itself first; the run's result is returned either way.
    func runKilled(
        _ arguments: [String], pidFile: String, when ready: @escaping @Sendable () async -> Bool = { true },
        timeout: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessResult {
        try? FileManager.default.removeItem(atPath: pidFile)
        let ended = Flag()
        let run = Task {
            defer { ended.set() }
            return try await runAsync(arguments, timeout: timeout + 30)
        }
        let deadline = Date().addingTimeInterval(timeout)
        var killed = false
        while !ended.isSet, Date() < deadline {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1, await ready() {
                killed = kill(pid, SIGKILL) == 0
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = try await run.value
        #expect(killed, "`secrets \(arguments.joined(separator: " "))` was not killed where the test meant to: \(result)", sourceLocation: sourceLocation)
        #expect(!result.exitedNormally, "the kill did not end it: \(result)", sourceLocation: sourceLocation)
        return result
    }
}

/// A flag one task sets and another polls.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a child process with `Foundation.Process`, feeding it standard input and collecting its
/// output, and kills it when it runs longer than allowed, so a test can never hang. Shared by
/// the test targets that drive real programs (AgeTests: the stock `age`; EndToEndTests: `secrets`).
public enum ProcessRunner {
    /// Writing to a pipe whose reader has exited must fail with `EPIPE`, not end the test run.
    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// Runs `executable` with `arguments`, writes `input` to its standard input and closes it.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment (`nil` inherits this process's).
    ///   - timeout: seconds before the process is sent SIGTERM (and SIGKILL shortly after).
    ///   - killAfter: when given, SIGKILL is sent this many seconds after the start unless the
    ///     process has exited by then (the crash tests' "power cut").
    ///   - killWhen: when given, asked every 2 ms while the process runs; SIGKILL is sent the
    ///     first time it answers true (a power cut at a moment the test can see, such as a file
    ///     growing).
    public static func run(
        _ executable: String, arguments: [String], input: Data = Data(), environment: [String: String]? = nil,
        timeout: TimeInterval, killAfter: TimeInterval? = nil, killWhen: (@Sendable () -> Bool)? = nil
    ) throws -> ProcessResult {
        _ = ignoreBrokenPipes
        let command = ([executable] + arguments).joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let standardInput = Pipe()
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let start = Date()
        do {
            try process.run()
        } catch {
            throw HarnessError("cannot start `\(command)`: \(error)")
        }

        let outputCollector = OutputCollector(reading: standardOutput.fileHandleForReading)
        let errorCollector = OutputCollector(reading: standardError.fileHandleForReading)
        // On a thread of its own, so that input larger than the pipe buffer cannot block us.
        let inputHandle = standardInput.fileHandleForWriting
        Thread.detachNewThread {
            if !input.isEmpty { try? inputHandle.write(contentsOf: input) }
            try? inputHandle.close()
        }

        var hasExited = false
        if let killWhen {
            while Date().timeIntervalSince(start) < timeout {
                if exited.wait(timeout: .now() + .milliseconds(2)) == .success {
                    hasExited = true
                    break
                }
                if killWhen() {
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
            }
        } else if let killAfter, killAfter < timeout {
            if exited.wait(timeout: .now() + killAfter) == .success {
                hasExited = true
            } else {
                // Not exited as far as we know. Foundation reaps the child just before it runs the
                // termination handler, so in that instant the pid could name a new process only
                // if the kernel had handed out every other pid in between.
                kill(process.processIdentifier, SIGKILL)
            }
        }
        var timedOut = false
        if !hasExited, exited.wait(timeout: .now() + max(0, timeout - Date().timeIntervalSince(start))) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        let output = outputCollector.collect(timeout: 10)
        let errorOutput = errorCollector.collect(timeout: 10)
        guard let output, let errorOutput else {
            throw HarnessError("`\(command)` exited, but its output pipes stayed open (a leftover child process?)")
        }
        return ProcessResult(
            arguments: arguments, command: command, status: process.terminationStatus,
            exitedNormally: process.terminationReason == .exit, timedOut: timedOut, elapsed: elapsed,
            standardOutput: output, standardError: errorOutput)
    }
}

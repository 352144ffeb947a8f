import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of a program, watched from the outside: how it ended, how long it took, and its peak
/// resident memory as the kernel counts it (`VmHWM` in `/proc/<pid>/status`, sampled every 10 ms
/// while it runs; the high-water mark only grows, so the last sample is the peak up to then).
///
/// A run that passes `killAbove` bytes of RSS or `killAfter` seconds is killed (SIGKILL), so that
/// checking a test against a build without the bounds cannot take the machine down with it.
struct MeasuredRun: CustomStringConvertible {
    var status: Int32
    /// True when the process ended by a signal (`status` is then the signal number).
    var signalled: Bool
    /// True when this harness killed it.
    var killed: Bool
    var elapsed: TimeInterval
    /// The peak resident set seen, in bytes.
    var peakResidentBytes: Int
    var standardOutput: String
    var standardError: String

    var description: String {
        let ending = killed ? "killed by the harness" : signalled ? "signal \(status)" : "exit \(status)"
        return "\(ending) after \(String(format: "%.1f", elapsed)) s, peak RSS \(peakResidentBytes >> 20) MiB; "
            + "stdout: \(standardOutput.prefix(400)) stderr: \(standardError.prefix(800))"
    }

    static func run(
        _ executable: String, arguments: [String], environment: [String: String], killAbove: Int, killAfter: TimeInterval
    ) throws -> MeasuredRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        let outputData = Collected(), errorData = Collected()
        let readers = DispatchGroup()
        for (pipe, sink) in [(output, outputData), (error, errorData)] {
            readers.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }
        }
        let started = Date()
        try process.run()
        let pid = process.processIdentifier
        var peak = 0
        var killed = false
        let directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent().path
        while process.isRunning {
            // Only once the child runs one of the programs under test: between fork and exec (or
            // during a vfork-style spawn) its status describes this test process's memory.
            if Self.image(of: pid).map({ ($0 as NSString).deletingLastPathComponent == directory }) == true,
               let (highWater, resident) = Self.memory(of: pid) {
                peak = max(peak, highWater)
                if resident > killAbove || highWater > killAbove, !killed {
                    killed = true
                    kill(pid, SIGKILL)
                }
            }
            if !killed, Date().timeIntervalSince(started) > killAfter {
                killed = true
                kill(pid, SIGKILL)
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(started)
        readers.wait()
        return MeasuredRun(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, killed: killed,
            elapsed: elapsed, peakResidentBytes: peak,
            standardOutput: String(decoding: outputData.get(), as: UTF8.self),
            standardError: String(decoding: errorData.get(), as: UTF8.self))
    }

    /// The program `pid` runs (`/proc/<pid>/exe`).
    private static func image(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    /// `VmHWM` and `VmRSS` of `pid`, in bytes; nil once it has exited.
    private static func memory(of pid: Int32) -> (Int, Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        guard let highWater = field("VmHWM"), let resident = field("VmRSS") else { return nil }
        return (highWater, resident)
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ value: Data) { lock.withLock { data = value } }
        func get() -> Data { lock.withLock { data } }
    }
}

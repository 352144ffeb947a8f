import Foundation

/// How a child process ended and what it wrote.
public struct ProcessResult: CustomStringConvertible, Sendable {
    /// The arguments, without the executable (never secrets: those go through stdin and files).
    public let arguments: [String]
    /// The command line, for messages.
    public let command: String
    /// The exit status, or the signal number when `exitedNormally` is false.
    public let status: Int32
    /// False when the process was ended by a signal.
    public let exitedNormally: Bool
    /// True when the process outlived its time limit and was killed.
    public let timedOut: Bool
    /// Seconds from start to exit.
    public let elapsed: TimeInterval
    /// Everything written to standard output.
    public let standardOutput: Data
    /// Everything written to standard error.
    public let standardError: Data

    /// Exited on its own with status 0.
    public var succeeded: Bool { !timedOut && exitedNormally && status == 0 }

    /// The exit status when the process exited on its own, else `nil` (killed or timed out).
    public var exitStatus: Int32? { !timedOut && exitedNormally ? status : nil }

    /// Standard output as text.
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }

    /// Standard error as text.
    public var errorOutput: String { String(decoding: standardError, as: UTF8.self) }

    /// Whether `bytes` occur anywhere in standard output or standard error.
    public func mentions(_ bytes: Data) -> Bool {
        standardOutput.range(of: bytes) != nil || standardError.range(of: bytes) != nil
    }

    /// How it ended, with excerpts of both outputs, for failure messages.
    public var description: String {
        let ending: String
        if timedOut {
            ending = "timed out and was killed"
        } else if exitedNormally {
            ending = "exited with status \(status)"
        } else {
            ending = "was killed by signal \(status)"
        }
        return "`\(command)` \(ending); stdout: \(excerpt(output)); stderr: \(excerpt(errorOutput))"
    }

    private func excerpt(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "(empty)" }
        return trimmed.count > 2000 ? String(trimmed.prefix(2000)) + "…" : trimmed
    }
}

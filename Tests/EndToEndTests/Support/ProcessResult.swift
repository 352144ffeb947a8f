import Foundation

/// How a child process ended and what it wrote.
struct ProcessResult: CustomStringConvertible, Sendable {
    /// The arguments, without the executable (never secrets: those go through stdin and files).
    let arguments: [String]
    /// The command line, for messages.
    let command: String
    /// The exit status, or the signal number when `exitedNormally` is false.
    let status: Int32
    /// False when the process was ended by a signal.
    let exitedNormally: Bool
    /// True when the process outlived its time limit and was killed.
    let timedOut: Bool
    /// Seconds from start to exit.
    let elapsed: TimeInterval
    let standardOutput: Data
    let standardError: Data

    /// Exited on its own with status 0.
    var succeeded: Bool { !timedOut && exitedNormally && status == 0 }

    /// The exit status when the process exited on its own, else `nil` (killed or timed out).
    var exitStatus: Int32? { !timedOut && exitedNormally ? status : nil }

    /// Standard output as text.
    var output: String { String(decoding: standardOutput, as: UTF8.self) }

    /// Standard error as text.
    var errorOutput: String { String(decoding: standardError, as: UTF8.self) }

    /// Whether `bytes` occur anywhere in standard output or standard error.
    func mentions(_ bytes: Data) -> Bool {
        standardOutput.range(of: bytes) != nil || standardError.range(of: bytes) != nil
    }

    var description: String {
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

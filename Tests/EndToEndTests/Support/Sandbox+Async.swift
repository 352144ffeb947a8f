import Dispatch
import Foundation
import ProcessHarness
import Testing

extension Sandbox {
    /// Runs `secrets` on a thread outside Swift's cooperative pool, so that the emulators serving
    /// it inside this test process keep their threads while the test waits.
    func runAsync(
        _ arguments: [String], stdin: String = "", environment changes: [String: String?] = [:],
        timeout: TimeInterval = Sandbox.timeout, killAfter: TimeInterval? = nil, killWhen: (@Sendable () -> Bool)? = nil
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try self.run(arguments, stdin: Data(stdin.utf8), environment: changes, timeout: timeout, killAfter: killAfter, killWhen: killWhen)
                })
            }
        }
    }

    /// ``runAsync(_:stdin:environment:timeout:killAfter:)`` that requires exit 0.
    @discardableResult
    func succeedAsync(
        _ arguments: [String], stdin: String = "", environment changes: [String: String?] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessResult {
        let result = try await runAsync(arguments, stdin: stdin, environment: changes)
        try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
        return result
    }
}

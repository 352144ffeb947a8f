import Foundation
import Testing

/// Several `secrets` processes writing one vault at once wait for one another instead of
/// failing or losing writes.
@Suite("Concurrent writers")
struct ConcurrencyTests {
    static let writers = 8
    static let addsPerWriter = 50

    /// One failed or odd run, for the message.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ item: String) { lock.withLock { items.append(item) } }
        var all: [String] { lock.withLock { items } }
    }

    @Test("8 writers × 50 secret adds: all succeed, all 400 are stored, the vault verifies")
    func parallelWriters() throws {
        let sandbox = try Sandbox("concurrency")
        defer { sandbox.remove() }
        try sandbox.initVault()
        for writer in 0..<Self.writers { try sandbox.addApp("app-\(writer)") }

        let failures = Failures()
        let group = DispatchGroup()
        let start = Date()
        // Each writer is a thread that runs its adds one after another; all writers start at once.
        for writer in 0..<Self.writers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for index in 0..<Self.addsPerWriter {
                    let arguments = ["secret", "add", "app-\(writer)", "--expires", "90d", "--key-id", Sandbox.guid()]
                    do {
                        let result = try sandbox.run(arguments, stdin: Data("value-\(writer)-\(index)-\(UUID().uuidString)".utf8))
                        if !result.succeeded { failures.add("\(result)") }
                    } catch {
                        failures.add("writer \(writer), add \(index): \(error)")
                    }
                }
            }
        }
        let finished = group.wait(timeout: .now() + 600)
        let elapsed = Date().timeIntervalSince(start)
        print("ConcurrencyTests: \(Self.writers * Self.addsPerWriter) secret adds by \(Self.writers) concurrent writers took \(String(format: "%.1f", elapsed)) s")
        try #require(finished == .success, "the writers did not finish within 600 s")
        #expect(failures.all.isEmpty, "\(failures.all.count) adds failed; first: \(failures.all.prefix(3))")

        var expected: [String: Set<String>] = [:]
        for result in sandbox.results where result.arguments.starts(with: ["secret", "add"]) {
            expected[result.arguments[2], default: []].insert(result.arguments[6])
        }
        var total = 0
        for writer in 0..<Self.writers {
            let app = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "app-\(writer)", "--json"]))
            let credentials = app.credentials ?? []
            #expect(credentials.count == Self.addsPerWriter, "app-\(writer) holds \(credentials.count) credentials")
            #expect(Set(credentials.map(\.keyId)) == expected["app-\(writer)"], "app-\(writer) holds other key IDs than were added")
            #expect(credentials.filter { $0.state == "current" }.count == 1, "app-\(writer) must have exactly one current secret")
            total += credentials.count
        }
        #expect(total == Self.writers * Self.addsPerWriter)

        let verified = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"]))
        #expect(verified.problems.isEmpty)
        #expect(verified.checked["credentials"] == Self.writers * Self.addsPerWriter)
        #expect(verified.secretValuesChecked == Self.writers * Self.addsPerWriter)
    }
}

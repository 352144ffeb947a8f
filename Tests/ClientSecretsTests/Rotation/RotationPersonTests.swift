import Foundation
import Testing

@testable import ClientSecrets

/// The engine honours a consumer's "not verified yet" (issue 13, the model's F_CANARY): the app
/// waits for a person, and nothing is retired until they confirm. (End to end, through the Jamf
/// Pro consumer's stale canary, once that consumer reports one: see PersonInLoopTests.)
@Suite struct RotationPersonTests {
    @Test func notVerifiedYetWaitsAndKeepsThePreviousSecret() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        f.consumer.notVerifiedYet(true)
        let first = try await f.engine().run(.due)
        #expect(first[0].status == .waiting, "\(first)")
        let newKey = try #require(first[0].newKeyID)
        #expect(try f.state(of: newKey) == .current)
        #expect(try f.state(of: f.oldKey) == .previous)
        // Past the overlap: still nothing retired while nobody confirmed.
        f.clock.advance(days: 8)
        let later = try await f.engine().run(.due)
        #expect(later[0].status == .waiting, "\(later)")
        #expect(try f.state(of: f.oldKey) == .previous)
        #expect(f.issuer.secrets.map(\.keyID).contains(f.oldKey))
    }
}

import Foundation
import Rotation
import Testing

@testable import ClientSecrets

/// A plan names its app by row, not by label: what changed between planning and running cannot
/// make the run rotate another app.
@Suite struct PlanIdentityTests {
    @Test func aPlanRunsOnItsAppAfterARename() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        let engine = try f.engine()
        let plans = try engine.plan(.due)
        try f.vault.editApp("jamf", now: Sample.now) { $0.label = "jamf-renamed" }
        let results = await engine.run(plans)
        #expect(results.map(\.status) == [.done], "\(results)")
        let newKey = try #require(results.first?.newKeyID)
        #expect(try f.state(of: newKey, "jamf-renamed") == .current)
    }

    @Test func aPlanForARemovedAppNeverRotatesTheAppThatTookItsLabel() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        let engine = try f.engine()
        let plans = try engine.plan(.due)
        try f.vault.removeApp("jamf", now: Sample.now)
        try f.vault.addApp(Sample.app("jamf"), now: Sample.now)
        let results = await engine.run(plans)
        #expect(results.map(\.status) == [.failed], "\(results)")
        #expect(results.first?.failure?.message.contains("no app") == true, "\(results)")
        #expect(try f.credentials("jamf").isEmpty)
        #expect(f.issuer.secrets.map(\.keyID) == [f.oldKey])  // nothing was created at the issuer
    }
}

import Foundation
import Testing

@testable import ClientSecrets

/// Issue 19: `verify` of a vault with many damaged rows lists the first problems and counts the
/// rest, instead of a line (and a string in memory) per row.
@Suite("verify caps its listing")
struct VerifyCapTests {
    @Test("verify lists the first 20 problems and counts them all", .sqliteFile)
    func verifyCap() throws {
        let (harness, created) = try VaultHarness.make()
        defer { harness.remove() }
        for index in 0..<30 { try created.addApp(Sample.app("app-\(index)")) }
        try RawVaultFile.write(harness.path) { db in
            for id in try Data.fetchAll(db, sql: "SELECT id FROM apps") { try RawVaultFile.flipByte(db, "apps", "meta", id: id) }
        }
        let report = try harness.open().verify()
        #expect(report.problems.count == VerificationReport.listedProblemLimit)
        #expect(report.problemCount == 30, "\(report.problemCount)")
    }
}

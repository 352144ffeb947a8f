import Age
import Foundation
import Testing

@testable import ClientSecrets

/// Issue 19, finding 1 at the library's level: a vault handle opened before another process
/// (here another handle, with its own connection) rekeyed keeps working under the new keys —
/// what a rotation does when an older `secrets` rekeys under it — instead of failing every
/// write as "damaged or tampered".
@Suite("A vault follows another process's rekey")
struct FollowRekeyTests {
    @Test("a handle opened before a rekey writes and reads under the new keys; verify stays clean")
    func followsRekey() throws {
        let (harness, created) = try VaultHarness.make()
        defer { harness.remove() }
        try created.addApp(Sample.app("alpha"))
        let early = try harness.open()
        _ = try harness.open().rekey()
        // The write that lost a Jamf Pro API client's new secret: sealed and signed with keys
        // the file no longer has.
        try early.addSecret(to: "alpha", value: Sample.value("written-after-the-rekey-0123456789"), expires: Sample.at(days: 90))
        #expect(Sample.text(try early.secretValue(of: "alpha")) == "written-after-the-rekey-0123456789")
        let fresh = try harness.open()
        #expect(Sample.text(try fresh.secretValue(of: "alpha")) == "written-after-the-rekey-0123456789")
        #expect(try fresh.verify().isClean)
        #expect(try early.verify().isClean)
    }

    @Test("a handle whose identity the rekey removed says so, not \"tampered\"")
    func removedIdentity() throws {
        let (harness, created) = try VaultHarness.make()
        defer { harness.remove() }
        let second = try X25519Identity.generate()
        try created.addRecipient(second.recipient, role: .admin)
        try created.addApp(Sample.app("alpha"))
        let removed = try harness.open([second])
        _ = try harness.open().rekey(removingRecipient: second.recipient.description)
        #expect {
            try removed.addSecret(to: "alpha", value: Sample.value("never-stored-0123456789"), expires: Sample.at(days: 90))
        } throws: { error in
            guard case VaultError.cannotUnlock(let reason) = error else { return false }
            return reason.contains("no longer one of its recipients")
        }
    }

    @Test("verify lists the first 20 problems and counts them all")
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

import Foundation
import Storage
import Testing

@testable import ClientSecrets

/// ``Vault/read(_:)`` runs reads as plain deferred transactions (not GRDB's `query_only` reads,
/// which make SQLite recompile every cached statement); these tests hold it to what
/// `query_only` promised.
@Suite("Vault reads")
struct VaultReadTests {
    @Test("a read that changes the vault is refused and rolled back")
    func readThatWritesIsRolledBack() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Sample.app("Orders-API", appID: Sample.guid()), now: Sample.now)
        let before = try vault.overview()

        var thrown: (any Error)?
        do {
            try vault.read { db in try db.execute(sql: "DELETE FROM apps") }
        } catch {
            thrown = error
        }
        guard case .storage(let reason)? = (thrown as? VaultError)?.detail else {
            Issue.record("expected VaultError.storage, got \(String(describing: thrown))")
            return
        }
        #expect(reason.contains("a read of the vault tried to change it"))

        let reopened = try harness.open()
        #expect(try reopened.overview() == before)
        #expect(try reopened.verify().isClean)
        // The connection is usable afterwards: no transaction was left open.
        #expect(try vault.read { db in try db.value(Int.self, sql: "SELECT COUNT(*) FROM apps") } == 1)
        try vault.addApp(Sample.app("Payroll", appID: Sample.guid()), now: Sample.now)
        #expect(try vault.overview().count == 2)
    }

    @Test("a read sees one snapshot: a commit by another connection in between does not show")
    func readIsOneSnapshot() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Sample.app("Orders-API", appID: Sample.guid()), now: Sample.now)
        let other = try harness.open()

        let counts = try vault.read { db -> (Int, Int) in
            let first = try db.value(Int.self, sql: "SELECT COUNT(*) FROM apps") ?? -1
            try other.addApp(Sample.app("Payroll", appID: Sample.guid()), now: Sample.now)
            let second = try db.value(Int.self, sql: "SELECT COUNT(*) FROM apps") ?? -1
            return (first, second)
        }
        #expect(counts.0 == 1)
        #expect(counts.1 == 1)
        #expect(try vault.overview().count == 2)
    }
}

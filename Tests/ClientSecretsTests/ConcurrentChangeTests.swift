import Age
import Foundation
import Testing

@testable import ClientSecrets

/// Issue 19, finding 1 at the library's level: a vault handle opened before another process
/// (here another handle, with its own connection) rekeyed keeps working under the new keys —
/// what a rotation does when an older `secrets` rekeys under it — instead of failing every
/// write as "damaged or tampered".
@Suite("Another process changes the vault under this one")
struct ConcurrentChangeTests {
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
            guard case .cannotUnlock(let reason)? = (error as? VaultError)?.detail else { return false }
            return reason.contains("no longer one of its recipients")
        }
    }

    @Test("a store into an app another process removed is a clear error, in a batch too, never a raw SQLite one")
    func removedAppIsNotARawError() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let record = try vault.addApp(Sample.app("alpha"))
        try vault.removeApp("alpha")
        let issued = IssuedSecret(keyID: Sample.guid(), value: Sample.value("issued-while-removed-0123456789"), expires: Sample.at(days: 90))
        let body: (inout VaultWriter) throws -> Void = { writer in
            try vault.storeIssued(issued, app: record, keepsPrevious: true, writer: &writer)
        }
        func isClear(_ error: (any Error)?) -> Bool {
            guard case .busy(let reason)? = (error as? VaultError)?.detail else { return false }
            return reason.contains("removed from the vault by another command") && !reason.contains("SQLite")
        }
        #expect(throws: VaultError.self) { try vault.write(body) }
        do { try vault.write(body) } catch { #expect(isClear(error), "\(error)") }
        let batch = vault.writeBatch([body])
        #expect(isClear(batch.first ?? nil), "\(String(describing: batch.first ?? nil))")
    }

    @Test("app remove refuses an app whose rotation is unfinished, keeping the journal row that finds its secret at the issuer")
    func removeKeepsAnOpenRotation() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let record = try vault.addApp(Sample.app("alpha"))
        let journal = RotationJournal(
            id: try RecordID.random(), appRecordID: record.id, kind: .rotate, step: .create, status: .started,
            rotationID: Sample.guid(), started: Sample.now, updated: Sample.now)
        try vault.write { writer in try vault.insertJournal(journal, writer: &writer) }
        #expect {
            try vault.removeApp("alpha")
        } throws: { error in
            guard case .busy(let reason)? = (error as? VaultError)?.detail else { return false }
            return reason.contains("--abandon") && reason.contains(journal.rotationID)
        }
        #expect(try vault.openJournals(of: record.id).count == 1)
        #expect(try vault.app("alpha").id == record.id)
    }
}

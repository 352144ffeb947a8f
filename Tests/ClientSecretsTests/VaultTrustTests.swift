import Age
import CryptoPrimitives
import Foundation
import GRDB
import StorageSQLite
import Testing

@testable import ClientSecrets

/// Format 2's trust anchor: the authority key pinned beside the identity, followed across
/// rekeys only along endorsements, and the in-place upgrade of a format-1 vault.
@Suite("Vault trust: pins, rekeys and the format-1 upgrade")
struct VaultTrustTests {
    /// A vault with an app, a secret and a reader, and a pin file in the harness's directory.
    private func makeVault() throws -> (VaultHarness, Vault, X25519Identity, VaultTrust) {
        let (harness, vault) = try VaultHarness.make()
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, now: Sample.now)
        try vault.addApp(Sample.app("Orders"), now: Sample.now)
        try vault.addSecret(to: "Orders", value: Sample.value("orders-secret-value"), expires: Sample.at(days: 10), now: Sample.now)
        return (harness, vault, reader, VaultTrust(knownVaults: KnownVaults(path: harness.directory.path("known_vaults"))))
    }

    /// Rewrites a format-2 vault as the previous release wrote it: no tags, no authority, a
    /// digest keyed with the reader-held integrity key; `withoutJournal`, as a release before
    /// rotation existed wrote it.
    private func downgrade(_ harness: VaultHarness, keys: DataKeys, withoutJournal: Bool = false) throws {
        try RawVaultFile.write(harness.path) { db in
            if withoutJournal { try db.execute(sql: "DROP TABLE rotations") }
            for table in IntegrityDigest.tables where try !(withoutJournal && table == "rotations") && db.tableExists(table) {
                try db.execute(sql: "ALTER TABLE \(table) DROP COLUMN auth")
            }
            try db.execute(sql: "DROP TABLE authority")
            try db.execute(sql: "ALTER TABLE vault DROP COLUMN authority")
        }
        // The digest is the vault's own code, which reads through the storage seam.
        try SQLiteStorage.open(path: harness.path).write { db in
            let digest = try IntegrityDigest.recompute(db, key: keys.integrityKey)
            let counter = try #require(try db.value(Int64.self, sql: "SELECT counter FROM vault WHERE id = 1"))
            try db.execute(
                sql: "UPDATE vault SET format = 1, digest = ?, seal = ? WHERE id = 1",
                arguments: [Data(digest.bytes), Data(try digest.seal(counter: counter, vaultID: keys.vaultID, key: keys.integrityKey))])
        }
    }

    @Test("the first open pins the fingerprint; a later open checks it and writes nothing new")
    func firstUsePins() throws {
        let (harness, vault, reader, trust) = try makeVault()
        defer { harness.remove() }
        let opened = try Vault.open(at: harness.path, identities: [reader], trust: trust)
        #expect(opened.trustNotice?.contains("first use") == true, "\(opened.trustNotice ?? "no notice")")
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == vault.fingerprint())
        #expect(RawVaultFile.mode(harness.directory.path("known_vaults")) == 0o600)
        let again = try Vault.open(at: harness.path, identities: [harness.admin], trust: trust)
        #expect(again.trustNotice == nil)
    }

    @Test("an expected fingerprint other than the vault's is refused on first use, and nothing is pinned")
    func expectedFingerprintMismatch() throws {
        let (harness, vault, reader, trust) = try makeVault()
        defer { harness.remove() }
        var expecting = trust
        expecting.expectedFingerprint = "SHA256:" + String(repeating: "A", count: 43)
        guard case .untrusted? = expectVaultError({ try Vault.open(at: harness.path, identities: [reader], trust: expecting) })?.detail else {
            Issue.record("a wrong expected fingerprint was accepted")
            return
        }
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == nil)
        expecting.expectedFingerprint = try vault.fingerprint()
        _ = try Vault.open(at: harness.path, identities: [reader], trust: expecting)
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == vault.fingerprint())
    }

    @Test("a reader pinned before two rekeys follows the endorsed authority keys; a broken endorsement is refused", .sqliteFile)
    func rekeysAreFollowedAlongEndorsements() throws {
        let (harness, vault, reader, trust) = try makeVault()
        defer { harness.remove() }
        let first = try vault.fingerprint()
        _ = try Vault.open(at: harness.path, identities: [reader], trust: trust)
        let rekeyed = try vault.rekey(now: Sample.now).rekey(now: Sample.now)
        let last = try rekeyed.fingerprint()
        #expect(last != first)
        let opened = try Vault.open(at: harness.path, identities: [reader], trust: trust)
        #expect(opened.trustNotice?.contains("followed the endorsed authority keys") == true)
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == last)

        // Pinned at the first key again, with the middle endorsement damaged.
        try trust.knownVaults?.pin(vaultID: vault.vaultID, fingerprint: first)
        try RawVaultFile.write(harness.path) { db in
            try RawVaultFile.flipByte(db, "authority", "endorsement", key: "generation", id: 2)
        }
        // Any open (pinned or not) checks the succession, so the damage is named as such.
        guard case .integrityMismatch(let reason)? = expectVaultError({ try Vault.open(at: harness.path, identities: [reader], trust: trust) })?.detail else {
            Issue.record("a broken endorsement was followed")
            return
        }
        #expect(reason.contains("generation 2"), "\(reason)")
    }

    @Test("another vault at a pinned path is refused even though its own id was never pinned", .sqliteFile)
    func replacedFileIsNotAFirstUse() throws {
        let (harness, _, _, trust) = try makeVault()
        defer { harness.remove() }
        _ = try Vault.open(at: harness.path, identities: [harness.admin], trust: trust)
        // Someone with write access to the directory re-makes the file with keys of its own,
        // wrapped to the admin's public key (anyone can encrypt to it).
        for suffix in ["", "-wal", "-shm"] { unlink(harness.path + suffix) }
        _ = try Vault.create(at: harness.path, admin: harness.admin.recipient, actor: "intruder@elsewhere", now: Sample.now)
        guard case .untrusted(let reason)? = expectVaultError({ try Vault.open(at: harness.path, identities: [harness.admin], trust: trust) })?.detail else {
            Issue.record("a replaced file was taken for a first use")
            return
        }
        #expect(reason.contains("was replaced"), "\(reason)")
    }

    @Test("a format-1 vault: readers read it with a notice, an admin's open upgrades it (audited), and then its pin holds", .sqliteFile)
    func formatOneIsUpgradedByAnAdmin() throws {
        let (harness, vault, reader, trust) = try makeVault()
        defer { harness.remove() }
        try downgrade(harness, keys: vault.keys)

        let legacy = try Vault.open(at: harness.path, identities: [reader], trust: trust)
        #expect(legacy.format == 1)
        #expect(legacy.trustNotice?.contains("old format") == true)
        #expect(try legacy.overview().count == 1)
        try legacy.checkIntegrity()
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == nil, "a format-1 vault has nothing to pin")

        let upgraded = try Vault.open(at: harness.path, identities: [harness.admin], trust: trust)
        #expect(upgraded.format == VaultSchema.baseFormat)
        #expect(upgraded.trustNotice?.contains("upgraded the vault to format \(VaultSchema.baseFormat)") == true)
        #expect(try upgraded.auditLog().last?.action == .vaultUpgrade)
        #expect(try upgraded.verify().isClean)
        #expect(try trust.knownVaults?.fingerprint(for: vault.vaultID) == upgraded.fingerprint())

        // An older format-1 copy put back where a format-2 vault was pinned is refused.
        try downgrade(harness, keys: vault.keys)
        guard case .untrusted? = expectVaultError({ try Vault.open(at: harness.path, identities: [reader], trust: trust) })?.detail else {
            Issue.record("a format-1 file replaced a pinned format-2 vault unnoticed")
            return
        }
    }

    @Test("a format-1 vault from before rotation: readers see no journal and verify it; an admin's open adds the table", .sqliteFile)
    func formatOneWithoutJournal() throws {
        let (harness, vault, reader, _) = try makeVault()
        defer { harness.remove() }
        try downgrade(harness, keys: vault.keys, withoutJournal: true)

        let legacy = try Vault.open(at: harness.path, identities: [reader])
        #expect(!legacy.hasJournal)
        #expect(try legacy.journal(of: "Orders").isEmpty)
        #expect(try legacy.verify().checked["rotations"] == nil)

        let upgraded = try Vault.open(at: harness.path, identities: [harness.admin])
        #expect(upgraded.hasJournal)
        #expect(try upgraded.journal(of: "Orders").isEmpty)
        let report = try upgraded.verify()
        #expect(report.isClean)
        #expect(report.checked["rotations"] == 0)
        #expect(try Vault.open(at: harness.path, identities: [reader]).hasJournal)
    }

    @Test("a damaged format-1 vault is not upgraded, so the damage is never re-tagged as genuine", .sqliteFile)
    func damagedFormatOneIsNotUpgraded() throws {
        let (harness, vault, _, _) = try makeVault()
        defer { harness.remove() }
        try downgrade(harness, keys: vault.keys)
        try RawVaultFile.write(harness.path) { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 2") }
        guard case .integrityMismatch? = expectVaultError({ try harness.open() })?.detail else {
            Issue.record("a damaged format-1 vault was upgraded")
            return
        }
        #expect(try RawVaultFile.read(harness.path) { try Int.fetchOne($0, sql: "SELECT format FROM vault") } == 1)
    }

    @Test("a reader's change to a row it can seal is caught by the admin's tag and by another reader's digest", .sqliteFile)
    func readerForgeryIsCaught() throws {
        let (harness, vault, reader, _) = try makeVault()
        defer { harness.remove() }
        let asReader = try harness.open([reader])
        let app = try asReader.app("Orders")
        var forged = app.app
        forged.notes = "planted by a reader"
        // What a reader can do with the metadata key: a correctly sealed row, without a valid tag.
        let labelHash = try asReader.lookupHash("label", forged.label)
        let appIDHash = try asReader.lookupHash("app-id", forged.appID)
        let sealed = try asReader.sealApp(forged, id: app.id, labelHash: labelHash, appIDHash: appIDHash)
        try RawVaultFile.write(harness.path) { db in try RawVaultFile.set(db, "apps", "meta", to: sealed, id: app.id.data) }

        guard case .tampered(let table, let row, _)? = expectVaultError({ try vault.app("Orders") })?.detail else {
            Issue.record("the admin decoded a forged row")
            return
        }
        #expect(table == "apps" && row == app.id.description)
        guard case .integrityMismatch(let reason)? = expectVaultError({ try vault.checkIntegrity() })?.detail else { return }
        #expect(reason.contains("apps row \(app.id)"), "\(reason)")
        guard case .integrityMismatch? = expectVaultError({ try asReader.checkIntegrity() })?.detail else { return }
    }

    @Test("the digest read in place (every open) is the digest of the rows as StoredRow reads them, for every column type", .sqliteFile)
    func inPlaceDigestMatchesRows() throws {
        let (harness, vault, _, _) = try makeVault()
        try vault.addApp(Sample.app("Payroll"), now: Sample.now)
        try vault.addSecret(to: "Payroll", value: Sample.value("payroll-secret-value"), expires: nil, now: Sample.now)
        let key = try #require(vault.keys.authenticationKey)
        let storage = try SQLiteStorage.open(path: harness.path)
        func digests() throws -> (inPlace: IntegrityDigest, rows: IntegrityDigest) {
            try storage.read { db in
                var rows = IntegrityDigest.empty
                for table in try IntegrityDigest.presentTables(db) {
                    try db.forEachRow(sql: "SELECT * FROM \(table)") { row in
                        let tag = try #require(Data.fromStored(row["auth"]))
                        rows.toggle(try IntegrityDigest.contribution(table: table, row: row, tag: [UInt8](tag)))
                    }
                }
                return (try IntegrityDigest.storedContributions(db), rows)
            }
        }
        let before = try digests()
        #expect(before.inPlace == before.rows)
        #expect(try storage.read { try IntegrityDigest.authenticateRows($0, key: key).anyForged } == false)
        #expect(before.inPlace != .empty)
        // A NULL (the secret without an expiry), integers, text and blobs are in the vault's own
        // rows; a real and an empty blob are not, so a raw write puts them there. The stored
        // tags no longer match, but both ways of reading must still agree on the bytes.
        try RawVaultFile.write(harness.path) { db in
            try db.execute(sql: "UPDATE credentials SET expires_at = 1.5 WHERE expires_at IS NOT NULL")
            try db.execute(sql: "UPDATE apps SET updated_at = X''")
        }
        let after = try digests()
        #expect(after.inPlace == after.rows)
        #expect(after.inPlace != before.inPlace)
    }
}

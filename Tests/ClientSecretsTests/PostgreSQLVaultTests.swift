import Age
import Foundation
import Storage
import StoragePostgreSQL
import TestPostgreSQL
import Testing

@testable import ClientSecrets

/// What only a vault on PostgreSQL does: what the server holds, the location it is named by,
/// and the rotation lock that lives on the server instead of beside a file.
@Suite("Vault on PostgreSQL: the server's view, the URL, the lock", .enabled(if: TestPostgreSQLServer.url != nil, "no PostgreSQL test server (Scripts/postgres.sh)"))
struct PostgreSQLVaultTests {
    @Test("the server holds no label, app ID, tenant, note, name or value: every table, every column, as bytes and as text")
    func serverSeesNoPlaintext() throws {
        let (harness, vault) = try VaultHarness.make(on: .postgresql)
        defer { harness.remove() }
        let appID = Sample.guid()
        let words = ["Payroll-Label-Zq", appID, "tenant-zq.onmicrosoft.com", "a note nobody else reads", "value-zq-0123456789", "reader-name-zq"]
        try vault.addApp(Sample.app(words[0], appID: appID, tenant: words[2], notes: words[3]), now: Sample.now)
        try vault.addSecret(to: words[0], value: Sample.value(words[4]), expires: Sample.at(days: 10), now: Sample.now)
        try vault.addRecipient(try X25519Identity.generate().recipient, role: .reader, name: words[5], now: Sample.now)
        // Everything the server stores, read as its operator would: every row of every table.
        let storage = try PostgreSQLStorage.connect(to: harness.path)
        defer { try? storage.close() }
        var stored: [UInt8] = []
        let tables = try storage.read { db in
            try db.values(String.self, sql: "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()")
        }
        #expect(Set(tables).isSuperset(of: ["vault", "keyring", "apps", "credentials", "audit", "rotations", "authority"]))
        for table in tables {
            try storage.read { db in
                try db.forEachRow(sql: "SELECT * FROM \(table)") { row in
                    for value in row.values {
                        switch value {
                        case .text(let text): stored += Array(text.utf8)
                        case .blob(let data): stored += Array(data)
                        case .integer(let number): stored += Array(String(number).utf8)
                        default: break
                        }
                        stored.append(0)
                    }
                }
            }
        }
        #expect(stored.count > 1000)
        for word in words + [appID.uppercased()] {
            let needle = Array(word.utf8)
            let found = stored.indices.dropLast(needle.count).contains { stored[$0..<$0 + needle.count].elementsEqual(needle) }
            #expect(!found, "the server holds \(word) in clear")
        }
        // The vault itself reads them back, so they were really written.
        let again = try harness.open()
        #expect(Sample.text(try again.secretValue(of: words[0])) == words[4])
    }

    @Test("a URL with a password is refused before any connection, and the message does not repeat it")
    func passwordInURLRefused() throws {
        let url = try #require(TestPostgreSQLServer.url)
        let withPassword = url.replacingOccurrences(of: "postgresql://secrets@", with: "postgresql://secrets:hunter2-zq@")
        try #require(withPassword != url)
        for location in [withPassword, url + (url.contains("?") ? "&" : "?") + "password=hunter2-zq"] {
            let error = expectVaultError({ _ = try Vault.open(at: location, identities: [try X25519Identity.generate()]) })
            #expect(error?.code == .notAVault || error?.code == .storage, "\(String(describing: error))")
            #expect(!(error.map { "\($0)" } ?? "").contains("hunter2-zq"))
        }
    }

    @Test("the rotation lock is the server's: a second holder is refused naming the first, and it is free once the first lets go")
    func serverLock() throws {
        let (harness, _) = try VaultHarness.make(on: .postgresql)
        defer { harness.remove() }
        // Another vault's lock, on the same server, taken first: a refusal names this vault's holder.
        let (neighbour, _) = try VaultHarness.make(on: .postgresql)
        defer { neighbour.remove() }
        let neighbours = try VaultLock(vaultPath: neighbour.path, holder: "app edit")
        do {
            let first = try VaultLock(vaultPath: harness.path, holder: "rotate")
            #expect(first.path.hasPrefix("the advisory lock of the vault at postgresql://"))
            let refused = expectVaultError({ _ = try VaultLock(vaultPath: harness.path, holder: "rekey", wait: 0.2) })
            guard case .busy(let reason)? = refused?.detail else {
                Issue.record("a second holder was not refused: \(String(describing: refused))")
                return
            }
            #expect(reason.contains("`secrets rotate pid \(getpid())"), "\(reason)")
            _ = first
        }
        // The first lock's connection is gone, and with it the lock, once the server has seen the
        // connection end (its backend exits a moment later, longer on a loaded machine).
        let again = try VaultLock(vaultPath: harness.path, holder: "rekey", wait: 10)
        _ = again
        _ = neighbours
    }

    @Test("rotate's shared lock lets another host's rotate in and keeps rekey out; an app's claim is one holder's at a time, freed by release or by the holder's end")
    func sharedLockAndClaims() throws {
        let (harness, vault) = try VaultHarness.make(on: .postgresql)
        defer { harness.remove() }
        let app = try vault.addApp(Sample.app("alpha"), now: Sample.now)
        let other = try vault.addApp(Sample.app("beta"), now: Sample.now)
        let second = try VaultLock(vaultPath: harness.path, holder: "rotate", shared: true)
        let secondAppClaims = second.appClaims
        let secondClaims = try #require(secondAppClaims)
        do {
            let first = try VaultLock(vaultPath: harness.path, holder: "rotate", shared: true)
            let refused = expectVaultError({ _ = try VaultLock(vaultPath: harness.path, holder: "rekey", wait: 0.2) })
            #expect(refused?.code == .busy, "\(String(describing: refused))")
            let firstAppClaims = first.appClaims
            let firstClaims = try #require(firstAppClaims)
            #expect(try firstClaims.tryClaim(app.id))
            #expect(try !secondClaims.tryClaim(app.id), "two holders of one app's claim")
            #expect(try secondClaims.tryClaim(other.id), "a claim of one app kept another app's out")
            firstClaims.release(app.id)
            #expect(try secondClaims.tryClaim(app.id), "a released claim stayed held")
            secondClaims.release(app.id)
            #expect(try firstClaims.tryClaim(app.id))
            _ = first
        }
        // The first holder's connection is gone, and with it its claim, once the server has seen
        // the connection end.
        let deadline = Date().addingTimeInterval(10)
        var claimed = try secondClaims.tryClaim(app.id)
        while !claimed, Date() < deadline {
            usleep(50_000)
            claimed = try secondClaims.tryClaim(app.id)
        }
        #expect(claimed, "a claim outlived its holder's connection")
        _ = second
    }

    @Test("a vault copied SQLite → PostgreSQL → SQLite is the same vault: values, fingerprint, a reader, the audit log; both sides record it")
    func copyRoundTrip() throws {
        let (harness, vault) = try VaultHarness.make(on: .sqlite)
        defer { harness.remove() }
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, now: Sample.now)
        try vault.addApp(Sample.app("Orders"), now: Sample.now)
        try vault.addSecret(to: "Orders", value: Sample.value("orders-secret-value"), expires: Sample.at(days: 10), now: Sample.now)
        let server = try TestPostgreSQLServer.freshLocation()
        let there = try vault.copy(to: server, identities: [harness.admin], now: Sample.now)
        #expect(there.rows["credentials"] == 1 && there.rows["keyring"] == 2 && there.rows["vault"] == 1)
        #expect(there.verification.isClean && there.verification.secretValuesChecked == 1)
        let onServer = try Vault.open(at: server, identities: [harness.admin])
        #expect(try onServer.fingerprint() == vault.fingerprint())
        #expect(Sample.text(try onServer.secretValue(of: "Orders")) == "orders-secret-value")
        #expect(try Vault.open(at: server, identities: [reader]).expiring(within: 30 * Sample.day, now: Sample.now).count == 1)
        let back = harness.directory.path("back.sqlite")
        _ = try onServer.copy(to: back, identities: [harness.admin], now: Sample.now)
        let returned = try Vault.open(at: back, identities: [harness.admin])
        #expect(Sample.text(try returned.secretValue(of: "Orders")) == "orders-secret-value")
        #expect(try returned.verify().isClean)
        let copies = try returned.auditLog().filter { $0.action == .vaultCopy }.compactMap(\.detail)
        #expect(copies == ["copied from \(harness.path)", "copied from \(server)"])
        #expect(try vault.auditLog().last?.detail == "copied to \(server)")
    }

    @Test("a copy refuses a target in use and a source that does not verify, and leaves nothing behind")
    func copyRefusals() throws {
        let (harness, vault) = try VaultHarness.make(on: .sqlite)
        defer { harness.remove() }
        try vault.addApp(Sample.app("Orders"), now: Sample.now)
        let server = try TestPostgreSQLServer.freshLocation()
        _ = try vault.copy(to: server, identities: [harness.admin], now: Sample.now)
        // A database that holds a vault, and an existing file, are never written to.
        #expect(expectVaultError({ _ = try vault.copy(to: server, identities: [harness.admin]) })?.code == .vaultExists)
        #expect(expectVaultError({ _ = try vault.copy(to: harness.path, identities: [harness.admin]) })?.code == .invalidValue)
        // A source whose rows were changed behind the library is not copied.
        try RawVaultFile.write(harness.path) { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 1") }
        let target = harness.directory.path("copy.sqlite")
        #expect(expectVaultError({ _ = try harness.open().copy(to: target, identities: [harness.admin]) })?.code == .integrityMismatch)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("a write the server rolls back as a serialization failure or a deadlock is run again and written once; one that keeps conflicting fails with a clear message and writes nothing")
    func conflictsRetried() throws {
        let (harness, vault) = try VaultHarness.make(on: .postgresql)
        defer { harness.remove() }
        let conflicts = try ForcedConflicts(at: harness.path, on: "audit", when: "attempt <= 2")
        let entriesBefore = try vault.auditLog().count

        try vault.addApp(Sample.app("Retried"), now: Sample.now)
        #expect(try conflicts.attempts() == 3, "two rolled back, the third written")
        #expect(try vault.app("Retried").app.label == "Retried")
        let added = try vault.auditLog().dropFirst(entriesBefore)
        #expect(added.map(\.action) == [.appAdd], "written once: \(added.map(\.action))")
        #expect(try vault.verify().isClean)

        // A server that never lets it through: every attempt, then a message, and nothing written.
        try conflicts.raise(when: "true")
        let error = expectVaultError({ try vault.addApp(Sample.app("Never"), now: Sample.now) })
        #expect(error?.code == .busy)
        #expect("\(error.map { "\($0)" } ?? "")".contains("kept rolling this change back"))
        #expect(try conflicts.attempts() == 3 + Int64(PostgreSQLStorage.maximumAttempts))
        #expect(expectVaultError({ _ = try vault.app("Never") })?.code == .appNotFound)
        #expect(try vault.auditLog().count == entriesBefore + 1)
        try conflicts.remove()
        #expect(try vault.verify().isClean)
    }

    @Test("a conflict inside one step of a batch runs the whole batch again: every step is written once, none is reported failed")
    func conflictInBatchRetried() throws {
        let (harness, vault) = try VaultHarness.make(on: .postgresql)
        defer { harness.remove() }
        let records = try ["first", "second"].map { try vault.addApp(Sample.app($0), now: Sample.now) }
        let conflicts = try ForcedConflicts(at: harness.path, on: "credentials", when: "attempt = 1")
        let issued = records.map { _ in IssuedSecret(keyID: Sample.guid(), value: Sample.value("batch-\(Sample.guid())"), expires: Sample.at(days: 90)) }
        let results = vault.writeBatch(zip(records, issued).map { record, secret in
            { writer in try vault.storeIssued(secret, app: record, keepsPrevious: true, writer: &writer) }
        })
        #expect(results.allSatisfy { $0 == nil }, "\(results)")
        // The first insert was rolled back with everything before it; then both were written.
        #expect(try conflicts.attempts() == 3)
        for (record, secret) in zip(records, issued) {
            #expect(try vault.overview(of: record.app.label).credentials.map(\.credential.keyID) == [secret.keyID])
        }
        try conflicts.remove()
        #expect(try vault.verify().isClean)
    }
}

/// Conflicts the test server itself raises: a trigger on `table` fails an insert with a
/// serialization failure (odd attempts) or a deadlock (even ones) while `condition` holds of
/// `attempt`, counted by a sequence, since `nextval` is not undone with the transaction.
private struct ForcedConflicts {
    let storage: PostgreSQLStorage
    let table: String

    init(at location: String, on table: String, when condition: String) throws {
        storage = try PostgreSQLStorage.connect(to: location)
        self.table = table
        try storage.write { db in try db.execute(sql: "CREATE SEQUENCE forced_conflict_attempts", arguments: []) }
        try raise(when: condition)
        try storage.write { db in
            try db.execute(sql: "CREATE TRIGGER forced_conflict BEFORE INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION forced_conflict()", arguments: [])
        }
    }

    func raise(when condition: String) throws {
        try storage.write { db in
            try db.execute(sql: """
                CREATE OR REPLACE FUNCTION forced_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE attempt bigint := nextval('forced_conflict_attempts');
                BEGIN
                    IF \(condition) THEN
                        RAISE EXCEPTION 'forced conflict %', attempt USING ERRCODE = CASE WHEN attempt % 2 = 1 THEN '40001' ELSE '40P01' END;
                    END IF;
                    RETURN NEW;
                END $$
                """, arguments: [])
        }
    }

    /// How many inserts the trigger has seen.
    func attempts() throws -> Int64 {
        try storage.read { db in try db.value(Int64.self, sql: "SELECT last_value FROM forced_conflict_attempts") } ?? 0
    }

    func remove() throws {
        try storage.write { db in try db.execute(sql: "DROP TRIGGER forced_conflict ON \(table)", arguments: []) }
        try storage.close()
    }
}

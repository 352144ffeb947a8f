import Age
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

/// A closed vault with two apps and three credentials whose rows the tests edit behind the library's back.
private struct TamperScenario {
    let harness: VaultHarness
    let alpha: RecordID
    let beta: RecordID
    let alphaCurrent: RecordID
    let alphaPrevious: RecordID
    let betaCurrent: RecordID
    let alphaCurrentKeyID: String
    let auditCount: Int

    init() throws {
        let (harness, vault) = try VaultHarness.make()
        self.harness = harness
        alpha = try vault.addApp(Sample.app("Alpha"), now: Sample.now).id
        beta = try vault.addApp(Sample.app("Beta"), now: Sample.now).id
        alphaPrevious = try vault.addSecret(to: "Alpha", value: Sample.value("alpha-old"), expires: Sample.at(days: 5), now: Sample.now).id
        let current = try vault.addSecret(to: "Alpha", value: Sample.value("alpha-new"), expires: Sample.at(days: 20), now: Sample.now)
        alphaCurrent = current.id
        alphaCurrentKeyID = current.credential.keyID
        betaCurrent = try vault.addSecret(to: "Beta", value: Sample.value("beta-value"), expires: Sample.at(days: 25), now: Sample.now).id
        auditCount = try vault.auditLog().count
        // `vault` goes out of scope here, closing its connection.
    }

    func tamper(_ body: (Database) throws -> Void) throws { try RawVaultFile.write(harness.path, body) }

    func open() throws -> Vault { try harness.open() }

    /// The problems `verify()` reports that name `table` and `row`.
    func problems(_ report: VerificationReport, _ table: String, _ row: String) -> [String] {
        report.problems.filter { $0.contains("\(table) row \(row)") }
    }
}

/// Asserts that `body` throws `VaultError.tampered` naming `table` and `row`.
private func expectTampered<T>(
    _ table: String, _ row: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) {
    let error = expectVaultError(sourceLocation: sourceLocation, body)
    let tampered = error?.tamperedRow
    #expect(tampered?.table == table, "got \(String(describing: error))", sourceLocation: sourceLocation)
    #expect(tampered?.row == row, "got \(String(describing: error))", sourceLocation: sourceLocation)
}

@Suite("Tampering is detected")
struct TamperTests {
    @Test("an untouched vault verifies clean with the right counts")
    func clean() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let report = try scenario.open().verify()
        #expect(report.problems == [])
        #expect(report.isClean)
        #expect(report.checked == ["keyring": 1, "apps": 2, "credentials": 3, "audit": scenario.auditCount, "rotations": 0])
        #expect(scenario.auditCount == 7)
        #expect(report.secretValuesChecked == 3)
        #expect(!report.secretValuesSkipped)
    }

    enum FlippedColumn: String, CaseIterable, Sendable {
        case appMeta = "apps.meta", credentialMeta = "credentials.meta", credentialSecret = "credentials.secret", auditDetails = "audit.details"
    }

    @Test("one flipped bit in a sealed column is reported by verify and stops every read of that row", .sqliteFile, arguments: FlippedColumn.allCases)
    func flippedBit(_ column: FlippedColumn) throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        try scenario.tamper { db in
            switch column {
            case .appMeta: try RawVaultFile.flipByte(db, "apps", "meta", id: scenario.alpha.data)
            case .credentialMeta: try RawVaultFile.flipByte(db, "credentials", "meta", id: scenario.alphaCurrent.data)
            case .credentialSecret: try RawVaultFile.flipByte(db, "credentials", "secret", id: scenario.alphaCurrent.data)
            case .auditDetails: try RawVaultFile.flipByte(db, "audit", "details", key: "seq", id: 3)
            }
        }
        let vault = try scenario.open()
        let report = try vault.verify()
        #expect(!report.isClean)
        switch column {
        case .appMeta:
            #expect(scenario.problems(report, "apps", scenario.alpha.description).count == 1, "\(report.problems)")
            expectTampered("apps", scenario.alpha.description) { try vault.app("Alpha") }
            expectTampered("apps", scenario.alpha.description) { try vault.overview() }
            expectTampered("apps", scenario.alpha.description) { try vault.secretValue(of: "Alpha") }
            expectTampered("apps", scenario.alpha.description) { try vault.expiring(within: 30 * Sample.day, now: Sample.now) }
            #expect(try vault.app("Beta").id == scenario.beta)
        case .credentialMeta:
            #expect(scenario.problems(report, "credentials", scenario.alphaCurrent.description).count == 1, "\(report.problems)")
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.overview() }
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.overview(of: "Alpha") }
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.secretValue(of: "Alpha") }
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.expiring(within: 30 * Sample.day, now: Sample.now) }
            #expect(Sample.text(try vault.secretValue(of: "Beta")) == "beta-value")
        case .credentialSecret:
            #expect(scenario.problems(report, "credentials", scenario.alphaCurrent.description).count == 1, "\(report.problems)")
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.secretValue(of: "Alpha") }
            expectTampered("credentials", scenario.alphaCurrent.description) { try vault.exportDocument() }
            #expect(Sample.text(try vault.secretValue(of: "Beta")) == "beta-value")
        case .auditDetails:
            #expect(scenario.problems(report, "audit", "3").count == 1, "\(report.problems)")
            expectTampered("audit", "3") { try vault.auditLog() }
        }
    }

    @Test("meta swapped between two apps is detected", .sqliteFile)
    func swappedAppMeta() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        try scenario.tamper { db in
            let alphaMeta = try RawVaultFile.blob(db, "apps", "meta", id: scenario.alpha.data)
            let betaMeta = try RawVaultFile.blob(db, "apps", "meta", id: scenario.beta.data)
            try RawVaultFile.set(db, "apps", "meta", to: betaMeta, id: scenario.alpha.data)
            try RawVaultFile.set(db, "apps", "meta", to: alphaMeta, id: scenario.beta.data)
        }
        let vault = try scenario.open()
        expectTampered("apps", scenario.alpha.description) { try vault.app("Alpha") }
        expectTampered("apps", scenario.beta.description) { try vault.app("Beta") }
        expectTampered("apps", scenario.beta.description) { try vault.secretValue(of: "Beta") }
        let report = try vault.verify()
        #expect(scenario.problems(report, "apps", scenario.alpha.description).count == 1, "\(report.problems)")
        #expect(scenario.problems(report, "apps", scenario.beta.description).count == 1, "\(report.problems)")
    }

    @Test("secret values swapped between two credentials are detected", .sqliteFile)
    func swappedSecrets() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        try scenario.tamper { db in
            let alphaSecret = try RawVaultFile.blob(db, "credentials", "secret", id: scenario.alphaCurrent.data)
            let betaSecret = try RawVaultFile.blob(db, "credentials", "secret", id: scenario.betaCurrent.data)
            try RawVaultFile.set(db, "credentials", "secret", to: betaSecret, id: scenario.alphaCurrent.data)
            try RawVaultFile.set(db, "credentials", "secret", to: alphaSecret, id: scenario.betaCurrent.data)
        }
        let vault = try scenario.open()
        expectTampered("credentials", scenario.alphaCurrent.description) { try vault.secretValue(of: "Alpha") }
        expectTampered("credentials", scenario.betaCurrent.description) { try vault.secretValue(of: "Beta") }
        let report = try vault.verify()
        #expect(scenario.problems(report, "credentials", scenario.alphaCurrent.description).count == 1, "\(report.problems)")
        #expect(scenario.problems(report, "credentials", scenario.betaCurrent.description).count == 1, "\(report.problems)")
        #expect(report.secretValuesChecked == 1)
    }

    @Test("editing a credential's clear state or expiry is detected on read", .sqliteFile, arguments: ["state", "expires_at"])
    func clearColumns(_ column: String) throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        try scenario.tamper { db in
            if column == "state" {
                try RawVaultFile.set(db, "credentials", "state", to: "pending", id: scenario.alphaCurrent.data)
            } else {
                let later = Int64(Sample.at(days: 400).timeIntervalSince1970)
                try RawVaultFile.set(db, "credentials", "expires_at", to: later, id: scenario.alphaCurrent.data)
            }
        }
        let vault = try scenario.open()
        let row = scenario.alphaCurrent.description
        expectTampered("credentials", row) { try vault.overview() }
        expectTampered("credentials", row) { try vault.overview(of: "Alpha") }
        expectTampered("credentials", row) { try vault.secretValue(of: "Alpha", keyID: scenario.alphaCurrentKeyID) }
        expectTampered("credentials", row) { try vault.expiring(within: 500 * Sample.day, now: Sample.now) }
        #expect(scenario.problems(try vault.verify(), "credentials", row).count == 1)
    }

    @Test("with an app and a credential both damaged, expiring names the row it lists first, though records are opened on a thread of their own", .sqliteFile)
    func firstDamagedRowInListingOrder() throws {
        // Listed in expiry order: Alpha's previous (5 days), Alpha's current (20), Beta's current (25).
        for appFirst in [true, false] {
            let scenario = try TamperScenario()
            defer { scenario.harness.remove() }
            try scenario.tamper { db in
                try RawVaultFile.flipByte(db, "apps", "meta", id: (appFirst ? scenario.alpha : scenario.beta).data)
                try RawVaultFile.flipByte(db, "credentials", "meta", id: (appFirst ? scenario.betaCurrent : scenario.alphaPrevious).data)
            }
            let vault = try scenario.open()
            if appFirst {
                expectTampered("apps", scenario.alpha.description) { try vault.expiring(within: 30 * Sample.day, now: Sample.now) }
            } else {
                expectTampered("credentials", scenario.alphaPrevious.description) { try vault.expiring(within: 30 * Sample.day, now: Sample.now) }
            }
        }
    }

    @Test("a row the reading thread refuses (its app is missing) and one the opening thread refuses: expiring names the one it lists first", .sqliteFile)
    func firstFailureAcrossThreads() throws {
        // Listed in expiry order: Alpha's previous (5 days), Alpha's current (20), Beta's current (25).
        for missingFirst in [true, false] {
            let scenario = try TamperScenario()
            defer { scenario.harness.remove() }
            let queue = try DatabaseQueue(path: scenario.harness.path)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: "DELETE FROM apps WHERE id = ?", arguments: [(missingFirst ? scenario.alpha : scenario.beta).data])
                try RawVaultFile.flipByte(db, "credentials", "meta", id: (missingFirst ? scenario.betaCurrent : scenario.alphaPrevious).data)
            }
            try queue.close()
            let vault = try scenario.open()
            let error = expectVaultError { try vault.expiring(within: 30 * Sample.day, now: Sample.now) }
            #expect(error?.tamperedRow?.table == "credentials", "got \(String(describing: error))")
            #expect(error?.tamperedRow?.row == scenario.alphaPrevious.description, "got \(String(describing: error))")
            #expect("\(String(describing: error))".contains("which is missing") == missingFirst, "got \(String(describing: error))")
        }
    }

    @Test("a credential whose app row was deleted stops expiring, naming the credential", .sqliteFile)
    func credentialWithoutApp() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let queue = try DatabaseQueue(path: scenario.harness.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM apps WHERE id = ?", arguments: [scenario.alpha.data])
        }
        try queue.close()
        let vault = try scenario.open()
        let error = expectVaultError { try vault.expiring(within: 500 * Sample.day, now: Sample.now) }
        #expect(error?.tamperedRow?.table == "credentials", "got \(String(describing: error))")
        #expect([scenario.alphaCurrent.description, scenario.alphaPrevious.description].contains(error?.tamperedRow?.row ?? ""))
        #expect("\(String(describing: error))".contains("apps row \(scenario.alpha.description), which is missing"))
    }

    @Test("a deleted credential or audit row makes verify report an integrity problem", .sqliteFile, arguments: ["credentials", "audit"])
    func deletedRow(_ table: String) throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        try scenario.tamper { db in
            if table == "credentials" {
                try db.execute(sql: "DELETE FROM credentials WHERE id = ?", arguments: [scenario.betaCurrent.data])
            } else {
                try db.execute(sql: "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")
            }
            guard db.changesCount == 1 else { throw TestSupportError("nothing deleted") }
        }
        let vault = try scenario.open()
        let report = try vault.verify()
        #expect(!report.isClean)
        #expect(report.problems.contains { $0.contains("integrity digest") }, "\(report.problems)")
        #expect(report.checked[table] == (table == "audit" ? scenario.auditCount - 1 : 2))
    }

    @Test("checkIntegrity passes an untouched vault and catches a deleted row, a moved row and a clear column, for an admin and a reader", .sqliteFile,
          arguments: ["none", "delete credential", "move credential", "keyring role"])
    func checkIntegrity(_ damage: String) throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let reader = try X25519Identity.generate()
        try scenario.open().addRecipient(reader.recipient, role: .reader, now: Sample.now)
        try scenario.tamper { db in
            switch damage {
            case "delete credential": try db.execute(sql: "DELETE FROM credentials WHERE id = ?", arguments: [scenario.betaCurrent.data])
            case "move credential": try RawVaultFile.set(db, "credentials", "app", to: scenario.alpha.data, id: scenario.betaCurrent.data)
            case "keyring role": try RawVaultFile.set(db, "keyring", "role", to: "admin", key: "recipient", id: reader.recipient.description)
            default: break
            }
        }
        // The reader opens with its own entry, so relabelling it admin is left to the digest here.
        let vaults = damage == "keyring role" ? [try scenario.open()] : [try scenario.open(), try scenario.harness.open([reader])]
        for vault in vaults {
            if damage == "none" {
                try vault.checkIntegrity()
                continue
            }
            let error = expectVaultError { try vault.checkIntegrity() }
            guard case .integrityMismatch(let reason) = error?.detail else {
                Issue.record("expected integrityMismatch, got \(String(describing: error))")
                continue
            }
            // An admin checks each row's tag and names the row; a reader sees the signed digest differ.
            if vault.role == .admin, damage != "delete credential" {
                #expect(reason.contains("was not written by an admin"), "\(reason)")
            } else {
                #expect(reason.contains("integrity digest"), "\(reason)")
            }
            // Reading rows one by one does not notice: the row is simply not there.
            if damage == "delete credential" { #expect(try vault.overview(of: "Beta").credentials.isEmpty) }
        }
    }

    @Test("an audit entry whose time was rewritten, with its chain recomputed, is refused by the log", .sqliteFile)
    func auditTimeRewritten() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        // Rewrite entry 2's time and recompute every chain hash, as someone with the file but no key could.
        try scenario.tamper { db in
            try db.execute(sql: "UPDATE audit SET at = at - 86400 WHERE seq = 2")
            var previous = Data(repeating: 0, count: 32)
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq") {
                let hash = try AuditChain.hash(
                    previous: previous, seq: row["seq"], at: row["at"], action: row["action"], outcome: row["outcome"], details: row["details"])
                try db.execute(sql: "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [previous, hash, row["seq"] as Int64])
                previous = hash
            }
        }
        let vault = try scenario.open()
        expectTampered("audit", "2") { try vault.auditLog() }
        #expect(!(try vault.verify().isClean))
    }

    @Test("a vault row whose write counter was changed is refused on open, and an open handle can no longer write", .sqliteFile)
    func vaultRowCounter() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let vault = try scenario.open()
        try scenario.tamper { db in try db.execute(sql: "UPDATE vault SET counter = counter + 1 WHERE id = 1") }
        // The counter is signed with the digest: the signature no longer checks.
        guard case .integrityMismatch? = expectVaultError({ try scenario.open() })?.detail else { Issue.record("the vault opened"); return }
        #expect(!(try vault.verify().isClean))
        let error = expectVaultError { try vault.addApp(Sample.app("Gamma"), now: Sample.now) }
        guard case .integrityMismatch = error?.detail else { Issue.record("expected integrityMismatch, got \(String(describing: error))"); return }
        #expect(expectVaultError { try vault.app("Gamma") } == .appNotFound("Gamma"))
    }

    @Test("a keyring entry copied from another vault with the same admin is refused", .sqliteFile)
    func keyringFromAnotherVault() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let otherPath = scenario.harness.directory.path("other.sqlite")
        _ = try Vault.create(at: otherPath, admin: scenario.harness.admin.recipient, now: Sample.now)
        let foreign = try RawVaultFile.read(otherPath) { db in
            try Data.fetchOne(db, sql: "SELECT wrapped FROM keyring WHERE role = 'admin'")
        }
        let wrapped = try #require(foreign)
        // The foreign entry really does open with the same identity, so only the vault id can give it away.
        #expect(try AgeFile.decrypt([UInt8](wrapped), identities: [scenario.harness.admin]).count == 104)
        try scenario.tamper { db in
            try db.execute(sql: "UPDATE keyring SET wrapped = ? WHERE role = 'admin'", arguments: [wrapped])
        }
        let error = expectVaultError { try scenario.open() }
        #expect(error?.tamperedRow?.table == "keyring")
        #expect(error?.tamperedRow?.reason.contains("another vault") == true, "got \(String(describing: error))")
    }

    @Test("a reader entry relabelled admin does not unlock as admin", .sqliteFile)
    func readerPromotedInClear() throws {
        let scenario = try TamperScenario()
        defer { scenario.harness.remove() }
        let reader = try X25519Identity.generate()
        try scenario.open().addRecipient(reader.recipient, role: .reader, now: Sample.now)
        try scenario.tamper { db in
            try RawVaultFile.set(db, "keyring", "role", to: "admin", key: "recipient", id: reader.recipient.description)
        }
        let error = expectVaultError { try scenario.harness.open([reader]) }
        #expect(error?.tamperedRow?.table == "keyring", "got \(String(describing: error))")
    }
}

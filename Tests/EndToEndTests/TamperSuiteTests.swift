import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Every class of damage to the vault file, applied with Python's sqlite3 module (or a plain
/// truncate) to a copy of one rich vault, then checked from the outside: `verify` exits 65
/// naming the damage, the commands that read the damaged data exit 65 (`expiring`: 3) with one
/// line naming it, and no command prints anything but what it printed before the damage.
@Suite("Tamper suite: every class of damage, every reading command")
struct TamperSuiteTests {
    /// The cases of this pass: a truncated file has no rows to publish to a server.
    static let cases = VaultStore.default == .postgresql ? TamperCatalogue.all.filter { $0.kind != .truncate } : TamperCatalogue.all

    @Test("damage is named by verify and by the commands that read it, and never yields wrong data", arguments: cases)
    func damage(_ tamper: TamperCase) throws {
        let vault = try TamperVault.shared.get()
        let sandbox = try vault.copy("tamper-\(tamper.kind.rawValue)")
        defer { sandbox.remove() }
        let fragments = try Self.edit(sandbox, vault: vault, tamper.python)
        try Self.check(
            sandbox, vault: vault, fragments: fragments, touching: Set(tamper.touching + ["expiring --verify"]), alsoAllowed: tamper.alsoAllowed,
            blind: tamper.blind)
    }

    /// How `verify` names a change to each column of the schema: by the row (the column is sealed,
    /// or bound into a sealed column's associated data, or part of the audit chain), or only
    /// through the integrity digest, which cannot say which row changed.
    static let digestOnly: Set = [
        "keyring.role", "keyring.recipient", "keyring.wrapped", "keyring.created_at", "apps.created_at", "apps.updated_at",
        "credentials.created_at", "rotations.started_at", "rotations.updated_at", "rotations.revision",
    ]
    /// Columns whose change makes the file something other than this vault.
    static let wholeVault: [String: String] = [
        "vault.vault_id": "another vault", "vault.format": "format", "vault.digest": "integrity digest",
        "vault.counter": "integrity digest", "vault.seal": "integrity digest",
        "authority.generation": "authority", "authority.public_key": "authority", "authority.endorsement": "authority",
    ]
    /// Stored for people reading the file and read by no command, so nothing authenticates it:
    /// a change must leave every command's output as it was.
    static let unread: Set = ["vault.created_at"]
    /// Where a column's change is named otherwise than by its row.
    static let fragmentOverride = ["audit.seq": "entries are missing"]
    /// Changes plain `expiring` is documented not to see (see ``TamperCase/blind``): a credential
    /// whose app row is gone from its join.
    static let blindColumns: Set = ["apps.id", "credentials.app"]
    /// The reader's recipient rewritten: the reader is simply no longer a recipient (exit 3, "cannot unlock").
    static let allowedColumns: [String: [String: Int32]] = ["keyring.recipient": ["expiring (reader)": 3]]

    /// Which row of each table the schema-driven test changes.
    static let schemaRow = ["keyring": 2, "apps": 1, "credentials": 4, "audit": 3, "rotations": 3, "vault": 1, "authority": 1]

    @Test("a change to any column of any table (read from the schema) is caught, and nothing prints wrong data")
    func everyColumn() throws {
        let vault = try TamperVault.shared.get()
        let sandbox = try vault.copy("tamper-schema")
        defer { sandbox.remove() }
        let listing = try Self.edit(sandbox, vault: vault, """
            for (table,) in db.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
                for column in db.execute(f"PRAGMA main.table_info({table})").fetchall():
                    print(f"{table}.{column[1]}")
            """)
        let columns = listing.filter { !$0.hasPrefix("sqlite_") }
        #expect(columns.count >= 37, "\(columns)")
        for column in columns {
            let parts = column.split(separator: ".").map(String.init)
            guard parts[1] != "id" || parts[0] != "vault", let rowid = Self.schemaRow[parts[0]] else {
                // The vault row's id is fixed by a CHECK constraint; a table the test does not know is a failure.
                #expect(column == "vault.id", "\(column) belongs to a table this test does not know: add it to schemaRow")
                continue
            }
            try sandbox.directory.write(vault.pristine, to: "vault.sqlite")
            let printed = try Self.edit(sandbox, vault: vault, """
                table, column, rowid = '\(parts[0])', '\(parts[1])', \(rowid)
                value = get(table, column, rowid)
                if isinstance(value, bytes):
                    candidates = [flipped(value)]
                elif isinstance(value, int):
                    candidates = [value + 1000]
                else:
                    candidates = ['admin', 'reader', 'current', 'previous', 'pending', 'rotate', 'retire', 'closed',
                                  'finished', 'failed', 'app.remove', '\(vault.exportRecipient)']
                for candidate in candidates:
                    if candidate == value:
                        continue
                    try:
                        db.execute("SAVEPOINT s")
                        put(table, column, rowid, candidate)
                        db.execute("RELEASE s")
                        break
                    except sqlite3.IntegrityError:
                        db.execute("ROLLBACK TO s")
                else:
                    raise SystemExit(f"no acceptable change to {table}.{column}")
                print(name(table, rowid) if table not in ('vault', 'authority') else '')
                """)
            if Self.unread.contains(column) {
                try Self.check(sandbox, vault: vault, fragments: [], touching: [], alsoAllowed: [:], verifyFails: false, context: column)
                continue
            }
            let expected: [String]
            if let fragment = Self.wholeVault[column] ?? Self.fragmentOverride[column] {
                expected = [fragment]
            } else if Self.digestOnly.contains(column) {
                // An admin's verify names the row by its tag; a reader's command sees the digest.
                expected = printed + ["~integrity digest"]
            } else {
                expected = printed
            }
            try Self.check(
                sandbox, vault: vault, fragments: expected, touching: ["expiring --verify"], alsoAllowed: Self.allowedColumns[column] ?? [:],
                blind: Self.blindColumns.contains(column) ? TamperCase.unverifiedExpiring : [], context: column)
        }
    }

    // MARK: Running a case

    /// Runs `python` (after ``TamperCase/prelude``) on the sandbox's vault; returns the lines it printed.
    static func edit(_ sandbox: Sandbox, vault: TamperVault, _ python: String) throws -> [String] {
        let script = TamperCase.prelude + python + TamperCase.epilogue
        let result = try ProcessRunner.run(
            try Tools.python(), arguments: ["-c", script, sandbox.directory.path("vault.sqlite"), vault.other], timeout: Tools.timeout)
        try #require(result.succeeded, "the edit failed: \(result)")
        if sandbox.vaultOnServer { try TamperVault.publish(sandbox) }
        return result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// `verify` fails naming every fragment; every probe in `touching` fails naming one; every
    /// other probe fails the same way or prints exactly what it printed on the pristine vault.
    static func check(
        _ sandbox: Sandbox, vault: TamperVault, fragments: [String], touching: Set<String>, alsoAllowed: [String: Int32],
        blind: Set<String> = [], verifyFails: Bool = true, context: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let verify = try sandbox.run(["verify"])
        if !verifyFails {
            #expect(verify.succeeded, "\(context) verify: \(verify)", sourceLocation: sourceLocation)
        } else {
            #expect(verify.exitStatus == 65, "\(context) verify: \(verify)", sourceLocation: sourceLocation)
            Sandbox.expectErrorLines(verify, sourceLocation: sourceLocation)
            for fragment in fragments where !fragment.hasPrefix("~") {
                #expect(verify.errorOutput.contains(fragment), "\(context) verify should name \(fragment): \(verify)", sourceLocation: sourceLocation)
            }
            #expect(isDamageMessage(verify.errorOutput), "\(context) verify: \(verify)", sourceLocation: sourceLocation)
        }

        let probeFragments = fragments.map { $0.hasPrefix("~") ? String($0.dropFirst()) : $0 }
        for probe in TamperProbe.all(alphaOldKeyID: vault.alphaOldKeyID) where !blind.contains(probe.name) {
            if !verifyFails, probe.name == "expiring --verify" { continue }
            let outcome = try probe.run(in: sandbox, vault: vault)
            let label = "\(context) `\(probe.name)`"
            let baseline = vault.baseline[probe.name]!
            let failed = outcome.status == probe.damagedStatus || alsoAllowed[probe.name] == outcome.status
            if touching.contains(probe.name) || !(outcome.status == baseline.status && outcome.output == baseline.output) {
                #expect(failed, "\(label) printed other data than before the damage (or failed wrongly): \(outcome)\nbefore: \(baseline)",
                        sourceLocation: sourceLocation)
                guard failed else { continue }
                if probe.name.hasPrefix("expiring") {
                    // A monitoring plugin's UNKNOWN status line, and no data.
                    #expect(outcome.output.hasPrefix("UNKNOWN: could not check: ") && outcome.output.filter { $0 == "\n" }.count == 1,
                            "\(label) failed but printed: \(outcome)", sourceLocation: sourceLocation)
                } else {
                    #expect(outcome.output.isEmpty, "\(label) failed but printed: \(outcome)", sourceLocation: sourceLocation)
                }
                let lines = outcome.errorOutput.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("secrets: "), "\(label): \(outcome)", sourceLocation: sourceLocation)
                if alsoAllowed[probe.name] != outcome.status {
                    #expect(isDamageMessage(outcome.errorOutput), "\(label): \(outcome)", sourceLocation: sourceLocation)
                }
                if touching.contains(probe.name), !probeFragments.isEmpty {
                    #expect(probeFragments.contains { outcome.errorOutput.contains($0) }, "\(label) should name one of \(probeFragments): \(outcome)",
                            sourceLocation: sourceLocation)
                }
            }
        }
        for value in vault.values.values { sandbox.expectNoLeak(of: value, sourceLocation: sourceLocation) }
    }

    static func isDamageMessage(_ text: String) -> Bool {
        text.contains("is damaged or was tampered with") || text.contains("is not a secrets vault")
    }
}

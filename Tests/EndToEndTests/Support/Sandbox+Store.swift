import Foundation
import ProcessHarness

/// Where a sandbox's vault keeps what it keeps, on either backend (``VaultStore``).
extension Sandbox {
    /// Whether the vault is a schema on the PostgreSQL test server rather than a file.
    var vaultOnServer: Bool { vault.hasPrefix("postgresql://") }

    /// Where the Jamf Pro payloads' redacted copies and apply records go: beside a vault file,
    /// or for a vault on a server under this host's `$XDG_DATA_HOME/secrets` (README, "Teams").
    var payloadsDirectory: String {
        vaultOnServer ? directory.path("xdg-data/secrets/payloads") : directory.path("payloads")
    }

    /// Everything the vault's storage holds, as an attacker who reads it would get it: the file
    /// and its write-ahead log, or a `pg_dump` of the vault's schema together with every `bytea`
    /// value in it decoded from pg_dump's hex.
    func storedBytes() throws -> [(name: String, bytes: Data)] {
        guard vaultOnServer else {
            var files: [(String, Data)] = [("vault file", try Data(contentsOf: URL(fileURLWithPath: vault)))]
            if let wal = try? Data(contentsOf: URL(fileURLWithPath: vault + "-wal")) { files.append(("WAL", wal)) }
            return files
        }
        guard let schema = vault.firstMatch(of: #/search_path%3D([a-z0-9_]+)/#)?.output.1 else {
            throw HarnessError("no schema in \(vault)")
        }
        let server = String(vault.prefix { $0 != "?" })
        let dump = try ProcessRunner.run(
            try Tools.pgDump(), arguments: ["--no-owner", "--data-only", "--schema", String(schema), server], timeout: Tools.timeout)
        guard dump.succeeded else { throw HarnessError("pg_dump failed: \(dump)") }
        // Without the random key of pg_dump's `\restrict` lines, so that two dumps of the same rows are equal.
        let text = dump.output.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict ") && !$0.hasPrefix("\\unrestrict ") }.joined(separator: "\n")
        var decoded = Data()
        for match in text.matches(of: #/\\\\x([0-9a-f]+)/#) {
            var hex = Substring(match.output.1)
            while hex.count >= 2 {
                decoded.append(UInt8(hex.prefix(2), radix: 16)!)
                hex = hex.dropFirst(2)
            }
            decoded.append(0)
        }
        return [("pg_dump of the vault's schema", Data(text.utf8)), ("bytea values of the dump", decoded)]
    }

    /// An older copy of the vault, as someone who kept one has it: a copy of the file, or a copy
    /// of every table of the vault's schema in a schema of its own on the server. Returns the
    /// copy's location.
    func snapshot() throws -> String {
        guard vaultOnServer else {
            let copy = directory.path("snapshot.sqlite")
            try FileManager.default.copyItem(atPath: vault, toPath: copy)
            return copy
        }
        let schema = "snapshot_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let script = """
            CREATE SCHEMA \(schema);
            DO $$ DECLARE t text; BEGIN
                FOR t IN SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() LOOP
                    EXECUTE format('CREATE TABLE %I.%I AS SELECT * FROM %I', '\(schema)', t, t);
                END LOOP;
            END $$;
            """
        let copied = try ProcessRunner.run(try Tools.psql(), arguments: [vault, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", script], timeout: Tools.timeout)
        guard copied.succeeded else { throw HarnessError("could not copy the vault's schema: \(copied)") }
        return vault.replacing(#/search_path%3D[a-z0-9_]+/#) { _ in "search_path%3D\(schema)" }
    }

    /// Puts the vault of `other` (on the same backend) in place of this one, as someone who can
    /// write the directory, or the schema, can: the file copied over, or every table dropped and
    /// made again from the other schema's rows.
    func replaceVault(with other: Sandbox) throws {
        guard vaultOnServer else {
            for suffix in ["-wal", "-shm"] { unlink(vault + suffix) }
            try FileManager.default.removeItem(atPath: vault)
            try FileManager.default.copyItem(atPath: other.vault, toPath: vault)
            return
        }
        guard let source = other.vault.firstMatch(of: #/search_path%3D([a-z0-9_]+)/#)?.output.1 else {
            throw HarnessError("\(other.vault) is not a vault on the server")
        }
        let script = """
            DO $$ DECLARE t text; BEGIN
                FOR t IN SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() LOOP
                    EXECUTE format('DROP TABLE %I CASCADE', t);
                END LOOP;
                FOR t IN SELECT table_name FROM information_schema.tables WHERE table_schema = '\(source)' LOOP
                    EXECUTE format('CREATE TABLE %I AS SELECT * FROM %I.%I', t, '\(source)', t);
                END LOOP;
            END $$;
            """
        let replaced = try ProcessRunner.run(try Tools.psql(), arguments: [vault, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", script], timeout: Tools.timeout)
        guard replaced.succeeded else { throw HarnessError("could not replace the vault's tables: \(replaced)") }
    }
}

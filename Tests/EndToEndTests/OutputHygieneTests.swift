#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProcessHarness
import Testing

/// The lower findings of issue 12: what `secrets` prints cannot drive a terminal, the identity
/// file is checked on the open descriptor, a closed stdout ends the output quietly, the process
/// is not dumpable, and `recipients remove --rekey` leaves the removed key nothing to open.
@Suite("Output and process hygiene")
struct OutputHygieneTests {
    /// The bytes a terminal would act on that the planted names below carry: ESC, BEL, CSI
    /// (U+009B in UTF-8) and RIGHT-TO-LEFT OVERRIDE (U+202E in UTF-8).
    private static let dangerous: [[UInt8]] = [[0x1B], [0x07], [0xC2, 0x9B], [0xE2, 0x80, 0xAE]]

    private static func expectInert(_ result: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for bytes in dangerous {
            #expect(!result.mentions(Data(bytes)), "\(what) printed the raw bytes \(bytes): \(result)", sourceLocation: sourceLocation)
        }
    }

    /// An `az ad app list` document whose display names and hint carry an OSC 52 clipboard write
    /// and a bidi override, imported as `import --from-azure` takes it.
    private func plantEscapes(in sandbox: Sandbox) throws -> (appID: String, otherAppID: String) {
        let appID = Sandbox.guid(), otherAppID = Sandbox.guid()
        let document = """
            [{"appId": "\(appID)", "displayName": "pay\\u202Eexe.lla",
              "passwordCredentials": [{"keyId": "\(Sandbox.guid())", "hint": "Q8\\u001b]52;c;aGk=\\u0007",
                "displayName": "x\\u001b]52;c;aGk=\\u0007\\u009b2J", "startDateTime": "2026-01-01T00:00:00Z",
                "endDateTime": "2030-06-01T00:00:00Z"}]},
             {"appId": "\(otherAppID)", "displayName": "evil\\u001b]52;c;aGk=\\u0007", "passwordCredentials": []}]
            """
        let path = try sandbox.directory.write(document, to: "az.json")
        try sandbox.succeed(["import", "--from-azure", path, "--tenant", "contoso.onmicrosoft.com"])
        // A display name with invisible formatting characters is not made a label (it would look
        // like another); a person may still choose such a label, and every view escapes it.
        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        #expect(rows.first { $0.appId == appID }?.label == appID)
        try sandbox.succeed(["app", "edit", appID, "--label", "pay\u{202E}exe.lla"])
        return (appID, otherAppID)
    }

    @Test("escape sequences in an imported display name or hint are shown escaped in app show, list, expiring and log")
    func escapesNeutralised() throws {
        let sandbox = try Sandbox("hygiene-escapes")
        defer { sandbox.remove() }
        try sandbox.initVault()
        let (appID, _) = try plantEscapes(in: sandbox)

        let show = try sandbox.succeed(["app", "show", appID])
        Self.expectInert(show, "app show")
        #expect(show.output.contains(#"Q8\u{1B}]52;c;aGk=\u{7}"#), "\(show)")
        #expect(show.output.contains(#"pay\u{202E}exe.lla"#), "\(show)")

        for arguments in [["list"], ["app", "list"], ["log"], ["expiring", "--days", "3650"]] {
            let result = try sandbox.run(arguments)
            // `expiring` exits 1: something expires within the window.
            #expect(result.exitStatus == (arguments[0] == "expiring" ? 1 : 0), "\(result)")
            Self.expectInert(result, arguments.joined(separator: " "))
            #expect(result.output.contains(#"pay\u{202E}exe.lla"#), "\(result)")
        }
        Self.expectInert(try sandbox.run(["rotate", "--due", "--dry-run"]), "rotate --dry-run")
        // A table row stays one line: every row of `list` has the header's column count.
        let list = try sandbox.succeed(["list"]).output.split(separator: "\n")
        #expect(list.count == 3, "\(list)")

        // JSON escapes the same characters and still decodes to what was imported.
        let json = try sandbox.succeed(["list", "--json"])
        Self.expectInert(json, "list --json")
        #expect(json.output.contains(#"\u202e"#) && json.output.contains(#"\u001b"#) && json.output.contains(#"\u009b"#), "\(json)")
        let rows = try sandbox.decode([ListRow].self, from: json)
        let row = try #require(rows.first { $0.appId == appID })
        #expect(row.label == "pay\u{202E}exe.lla")
        #expect(row.current?.hint == "Q8\u{1B}]52;c;aGk=\u{07}")
        #expect(row.current?.displayName == "x\u{1B}]52;c;aGk=\u{07}\u{9B}2J")
        let expiring = try sandbox.run(["expiring", "--days", "3650", "--json"])
        Self.expectInert(expiring, "expiring --json")
        #expect(try sandbox.decode(ExpiringReport.self, from: expiring).credentials.first?.hint == "Q8\u{1B}]52;c;aGk=\u{07}")

        // An error message quoting what was typed is one inert line too.
        let missing = try sandbox.fail(["app", "show", "nope\u{1B}[2J\u{202E}"], status: 66, mentioning: #"nope\u{1B}[2J\u{202E}"#)
        Self.expectInert(missing, "app show (error)")
    }

    // MARK: The identity file

    /// A vault whose identity is copied to `name` in the state `prepare` leaves it in.
    private func refused(
        _ name: String, mentioning: String, timeout: TimeInterval = Sandbox.timeout, prepare: (Sandbox, String) throws -> Void
    ) throws {
        let sandbox = try Sandbox("hygiene-identity-\(name)")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("jamf-intune")
        let path = sandbox.directory.path(name)
        try prepare(sandbox, path)
        let result = try sandbox.run(["list", "--identity", path], timeout: timeout)
        #expect(!result.timedOut, "list waited on the identity file: \(result)")
        #expect(result.exitStatus == 77, "\(result)")
        #expect(result.errorOutput.contains(mentioning), "stderr should mention \"\(mentioning)\": \(result)")
        #expect(!result.output.contains("jamf-intune"), "the vault was opened: \(result)")
        Sandbox.expectOneLineError(result)
    }

    @Test("an identity file that is a FIFO (even mode 0666) is refused at once, without waiting for a writer")
    func identityFIFO() throws {
        try refused("identity.fifo", mentioning: "is not a regular file (a FIFO)", timeout: 20) { _, path in
            #expect(mkfifo(path, 0o666) == 0)
            #expect(chmod(path, 0o666) == 0)
        }
    }

    @Test("an identity file reached through a symbolic link is refused")
    func identitySymlink() throws {
        try refused("identity.link", mentioning: "is a symbolic link") { sandbox, path in
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: sandbox.identity)
        }
    }

    @Test("an identity file with mode 0644 is refused with the chmod that fixes it")
    func identityMode() throws {
        try refused("identity-open.txt", mentioning: "chmod 600") { sandbox, path in
            try FileManager.default.copyItem(atPath: sandbox.identity, toPath: path)
            #expect(chmod(path, 0o644) == 0)
        }
    }

    @Test("an identity file owned by another user is refused with the chown that fixes it")
    func identityOwner() throws {
        try refused("identity-other.txt", mentioning: "is owned by uid 65534, not by you") { sandbox, path in
            try FileManager.default.copyItem(atPath: sandbox.identity, toPath: path)
            #expect(chmod(path, 0o600) == 0)
            // Only root can give a file away; as any other user, the other owner is root.
            #expect(geteuid() == 0, "this case needs root to chown the file; it runs as root in CI")
            #expect(chown(path, 65534, 65534) == 0)
        }
    }

    // MARK: A closed stdout

    @Test("a reader closing the pipe early (list | head -1) ends the command quietly with its usual exit code")
    func closedStandardOutput() throws {
        let sandbox = try Sandbox("hygiene-pipe")
        defer { sandbox.remove() }
        try sandbox.initVault()
        // About 300 KB of `list`, far more than a pipe holds, so writes meet the closed pipe.
        let apps = (0..<2000).map { #"{"appId": "\#(Sandbox.guid())", "displayName": "app-\#($0)", "passwordCredentials": []}"# }
        let document = try sandbox.directory.write("[" + apps.joined(separator: ",") + "]", to: "many.json")
        try sandbox.succeed(["import", "--from-azure", document, "--tenant", "contoso.onmicrosoft.com"])

        let bash = "/bin/bash"
        for command in ["list", "list --json", "app list", "log", "--help", "recipients list"] {
            let script = "set -o pipefail; \"$SECRETS\" \(command) | head -1 >/dev/null; echo \"status=${PIPESTATUS[0]}\""
            var environment = sandbox.environment
            environment["SECRETS"] = sandbox.binary
            let result = try ProcessRunner.run(bash, arguments: ["-c", script], environment: environment, timeout: Sandbox.timeout)
            #expect(result.output == "status=0\n", "`secrets \(command) | head -1`: \(result)")
            #expect(result.errorOutput.isEmpty, "`secrets \(command) | head -1` wrote to stderr: \(result)")
        }
    }

    // MARK: Not dumpable

    /// The files in `/proc/<pid>` of a non-dumpable process are owned by root whatever its user (proc(5)), so the
    /// flag is visible from outside when `secrets` runs as another user: here `nobody`, started
    /// with `setpriv` and held inside `secret add` (the vault open, waiting for the value on stdin).
    /// The same run shows that finding `secrets-rotate` through `/proc/self/exe` still works.
    @Test("a running secrets is not dumpable, and still finds secrets-rotate through /proc/self/exe")
    func notDumpable() throws {
        #expect(geteuid() == 0, "this test needs root, to run secrets as another user; it runs as root in CI")
        let binary = try Tools.secrets()
        let directory = try TemporaryDirectory(prefix: "SecretsE2E-hygiene-dumpable")
        defer { directory.remove() }
        #expect(chmod(directory.path, 0o755) == 0)
        let home = directory.path("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        #expect(chown(home, 65534, 65534) == 0)
        let script = """
            set -u
            run() { setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin HOME="$HOME_DIR" \
                SECRETS_VAULT="$HOME_DIR/vault.sqlite" SECRETS_IDENTITY="$HOME_DIR/identity.txt" "$SECRETS" "$@"; }
            run init --no-passphrase >/dev/null || exit 10
            run app add a --app-id 11111111-2222-3333-4444-555555555555 --tenant contoso.onmicrosoft.com >/dev/null || exit 11
            run rotate --due --dry-run >/dev/null || { echo "rotate-status=$?"; exit 12; }
            # stdin: a FIFO this shell holds open read-write, so secrets waits on it with the vault open.
            mkfifo "$HOME_DIR/stdin" && exec 3<>"$HOME_DIR/stdin"
            run secret add a --expires 90d <&3 >/dev/null 2>&1 &
            job=$!
            pid=
            for _ in $(seq 1 300); do
                pid=$(pgrep -u 65534 -x secrets | head -1)
                [ -n "$pid" ] && ls -l /proc/$pid/fd 2>/dev/null | grep -q vault.sqlite && break
                sleep 0.1
            done
            echo "uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status)"
            echo "owner=$(stat -c %u /proc/$pid/environ)"
            # SIGKILL: the test runner may start this shell with SIGTERM blocked, which children inherit.
            [ -n "$pid" ] && kill -KILL $pid
            kill -KILL $job 2>/dev/null
            wait
            exit 0
            """
        let result = try ProcessRunner.run(
            "/bin/bash", arguments: ["-c", script], environment: ["PATH": "/usr/bin:/bin", "HOME_DIR": home, "SECRETS": binary],
            timeout: Sandbox.timeout)
        #expect(result.exitStatus == 0, "\(result)")
        #expect(result.output.contains("uid=65534\n"), "secrets did not run as nobody: \(result)")
        #expect(result.output.contains("owner=0\n"), "/proc/<pid>/environ of secrets is owned by its user, so it is dumpable: \(result)")
    }

    // MARK: recipients remove --rekey

    @Test("recipients remove --rekey: the removed identity cannot open the vault, and its old keyring entry no longer decrypts current rows")
    func removeAndRekey() throws {
        let secret = Sandbox.secretValue()
        let sandbox = try Sandbox("hygiene-remove-rekey")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("jamf-intune")
        try sandbox.addSecret("jamf-intune", value: secret)
        let removed = sandbox.directory.path("removed.txt")
        let removedKey = try Tools.generateKey(at: removed)
        try sandbox.directory.chmod("removed.txt", 0o600)
        try sandbox.succeed(["recipients", "add", removedKey, "--role", "admin", "--name", "departed"])
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune", "--identity", removed]).output == secret)

        // What the departing admin keeps: its keyring row, read with Python's sqlite3 (or psql).
        let python = try Tools.python()
        let saved = sandbox.directory.path("entry.json")
        let save = try ProcessRunner.run(python, arguments: ["-c", """
            import json, sys
            sys.path.insert(0, sys.argv[4])
            from vault_storage import connect
            db = connect(sys.argv[1])
            row = db.execute("SELECT * FROM keyring WHERE recipient = ?", (sys.argv[2],)).fetchone()
            json.dump({k: (row[k].hex() if isinstance(row[k], bytes) else row[k]) for k in row.keys()}, open(sys.argv[3], "w"))
            """, sandbox.vault, removedKey, saved, Tools.attackerDirectory], timeout: Tools.timeout)
        try #require(save.succeeded, "\(save)")

        let done = try sandbox.succeed(["recipients", "remove", removedKey, "--rekey"])
        #expect(done.output.contains("Removed \(removedKey) and replaced the data keys"), "\(done)")
        try sandbox.fail(["list", "--identity", removed], status: 77, mentioning: "not a recipient")
        let log = try sandbox.decode([LogEntryJSON].self, from: try sandbox.succeed(["log", "--json"]))
        #expect(Array(log.map(\.action).suffix(2)) == ["recipient.remove", "vault.rekey"])
        try sandbox.succeed(["verify"])
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"]).output == secret)

        // Put the kept entry back: it unwraps only the old data keys, which open no current row.
        let restore = try ProcessRunner.run(python, arguments: ["-c", """
            import json, sys
            sys.path.insert(0, sys.argv[3])
            from vault_storage import connect
            entry = json.load(open(sys.argv[2]))
            db = connect(sys.argv[1])
            blobs = {"id", "wrapped", "name"}
            values = {k: (bytes.fromhex(v) if k in blobs and v is not None else v) for k, v in entry.items()}
            db.execute("INSERT INTO keyring (%s) VALUES (%s)" % (",".join(values), ",".join("?" * len(values))), list(values.values()))
            db.commit()
            """, sandbox.vault, saved, Tools.attackerDirectory], timeout: Tools.timeout)
        try #require(restore.succeeded, "\(restore)")
        let get = try sandbox.run(["secret", "get", "jamf-intune", "--identity", removed])
        #expect(get.exitStatus == 65, "the old keyring entry still decrypts the vault: \(get)")
        #expect(!get.mentions(Data(secret.utf8)), "the old keyring entry decrypted the secret: \(get)")
        let list = try sandbox.run(["list", "--identity", removed])
        #expect(list.exitStatus == 65, "the old keyring entry still decrypts the vault's rows: \(list)")
        #expect(!list.output.contains("jamf-intune"), "\(list)")
        sandbox.expectNoLeak(of: secret)
    }
}

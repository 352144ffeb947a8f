import Foundation
import ProcessHarness
import Testing

/// The path a newcomer takes on day one, run against the built binary: create a vault, register
/// the Jamf ↔ Intune app, store its secret, see it in `list` and `expiring`, export it, read the
/// export with the stock `age`, and import it into a second vault.
@Suite("Newcomer flow")
struct NewcomerFlowTests {
    static let appID = "0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07"
    static let tenant = "contoso.onmicrosoft.com"

    @Test("init → app add → secret add → list → expiring → export → age -d → import → secret get → verify")
    func newcomerPath() throws {
        let first = try Sandbox("newcomer")
        defer { first.remove() }
        let second = try Sandbox("newcomer-import")
        defer { second.remove() }
        let secret = Sandbox.secretValue()
        let oldSecret = Sandbox.secretValue()

        // init: a vault and a machine identity, both private.
        let created = try first.succeed(["init", "--no-passphrase"])
        #expect(created.output.contains("Created vault \(first.vault)"))
        #expect(created.output.contains("Admin recipient: age1"))
        if !first.vaultOnServer { #expect(try first.directory.mode(of: "vault.sqlite") == 0o600) }
        #expect(try first.directory.mode(of: "identity.txt") == 0o600)

        // app add, secret add with the value on stdin.
        let added = try first.succeed(["app", "add", "jamf-intune", "--app-id", Self.appID, "--tenant", Self.tenant])
        #expect(added.output.contains("jamf-intune"))
        let keyID = try first.addSecret("jamf-intune", value: secret, expires: "20d")
        #expect(UUID(uuidString: keyID) != nil && keyID == keyID.lowercased())
        #expect(try first.succeed(["secret", "get", "jamf-intune"]).standardOutput == Data(secret.utf8))

        try checkList(first, keyID: keyID, secret: secret)

        // expiring: 0 nothing in the window, 1 something in it, 2 something expired, 3 cannot check.
        let quiet = try first.run(["expiring", "--days", "10"])
        #expect(quiet.exitStatus == 0, "\(quiet)")
        #expect(quiet.output.hasPrefix("OK: nothing expires within 10 days"))
        let checked = try first.run(["expiring", "--days", "10", "--verify"])
        #expect(checked.exitStatus == 0, "\(checked)")
        let warning = try first.run(["expiring", "--days", "30"])
        #expect(warning.exitStatus == 1, "\(warning)")
        #expect(warning.output.hasPrefix("WARNING: 1 credential(s) expire within 30 days"))
        #expect(warning.output.contains(keyID))

        try first.addApp("legacy-sync")
        let oldKeyID = try first.addSecret("legacy-sync", value: oldSecret, expires: "2020-01-01")
        let critical = try first.run(["expiring", "--days", "30"])
        #expect(critical.exitStatus == 2, "\(critical)")
        #expect(critical.output.hasPrefix("CRITICAL: 1 credential(s) expired"))

        let missing = try first.run(["expiring"], environment: ["SECRETS_VAULT": first.directory.path("missing.sqlite")])
        #expect(missing.exitStatus == 3, "\(missing)")
        #expect(missing.errorOutput.contains("secrets init"))
        Sandbox.expectOneLineError(missing)

        try checkExpiringJSON(first, keyID: keyID, oldKeyID: oldKeyID)
        try checkPrometheus(first, keyID: keyID, oldKeyID: oldKeyID)

        // export to an age-keygen key; the stock age decrypts it.
        let keyFile = first.directory.path("key.txt")
        let publicKey = try Tools.generateKey(at: keyFile)
        let exportFile = first.directory.path("out.age")
        let exported = try first.succeed(["export", "--recipient", publicKey, "-o", exportFile])
        #expect(exported.errorOutput.contains("Exported 2 apps"))
        #expect(try first.directory.mode(of: "out.age") == 0o600)
        let decrypted = try ProcessRunner.run(try Tools.age(), arguments: ["-d", "-i", keyFile, exportFile], timeout: Tools.timeout)
        try #require(decrypted.succeeded, "\(decrypted)")
        let document = try Sandbox.decode(ExportJSON.self, from: decrypted.standardOutput)
        #expect(document.format == "secrets-export")
        #expect(document.version == 1)
        let exportedApp = try #require(document.apps.first { $0.label == "jamf-intune" })
        #expect(exportedApp.appId == Self.appID)
        #expect(exportedApp.tenant == Self.tenant)
        #expect(exportedApp.credentials.map(\.keyId) == [keyID])
        #expect(exportedApp.credentials.first?.value == secret)
        #expect(document.apps.first { $0.label == "legacy-sync" }?.credentials.first?.value == oldSecret)

        // import into a fresh vault elsewhere (so --from-other-vault; its apps carry no actions):
        // the value comes back byte for byte.
        try second.initVault()
        let imported = try second.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--from-other-vault"])
        #expect(imported.output.contains("Imported 2 app(s) and 2 credential(s); 0 already present"), "\(imported)")
        let value = try second.succeed(["secret", "get", "jamf-intune"])
        #expect(value.standardOutput == Data(secret.utf8))
        #expect(try second.succeed(["secret", "get", Self.appID, "--key-id", keyID]).standardOutput == Data(secret.utf8))
        let verified = try second.succeed(["verify"])
        #expect(verified.output.contains("The vault is intact."))

        // The same file again: everything is already there.
        let again = try second.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--from-other-vault"])
        #expect(again.output.contains("Imported 0 app(s) and 0 credential(s); 2 already present"), "\(again)")
        try second.succeed(["verify"])

        for sandbox in [first, second] {
            sandbox.expectNoLeak(of: secret)
            sandbox.expectNoLeak(of: oldSecret)
        }
    }

    /// `list` and `list --json` show the app as due (20 days left, inside the default 30-day rotate-before).
    private func checkList(_ sandbox: Sandbox, keyID: String, secret: String) throws {
        let table = try sandbox.succeed(["list"])
        let lines = table.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("LABEL") == true)
        let row = try #require(lines.first { $0.hasPrefix("jamf-intune ") }, "\(table)")
        #expect(row.contains(Self.appID) && row.contains(Self.tenant) && row.contains(" due ") && row.contains(" secret ") && row.hasSuffix(" held"), "\(row)")

        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        try #require(rows.count == 1)
        #expect(rows[0].label == "jamf-intune")
        #expect(rows[0].appId == Self.appID)
        #expect(rows[0].tenant == Self.tenant)
        #expect(rows[0].cloud == "global")
        #expect(rows[0].status == "due")
        let current = try #require(rows[0].current)
        #expect(current.keyId == keyID)
        #expect(current.state == "current")
        #expect(current.daysLeft == 19)
        #expect(current.hint == String(secret.prefix(3)))
        let expires = try #require(current.expires)
        #expect(abs(expires.timeIntervalSinceNow - 20 * 86_400) < 120)
    }

    private func checkExpiringJSON(_ sandbox: Sandbox, keyID: String, oldKeyID: String) throws {
        let result = try sandbox.run(["expiring", "--json"])
        #expect(result.exitStatus == 2, "\(result)")
        let report = try sandbox.decode(ExpiringReport.self, from: result)
        #expect(report.days == 30)
        #expect(report.status == "critical")
        #expect(abs(report.checkedAt.timeIntervalSinceNow) < 120)
        #expect(report.credentials.map(\.keyId) == [oldKeyID, keyID], "soonest first")
        let old = try #require(report.credentials.first)
        #expect(old.expired)
        #expect(old.label == "legacy-sync")
        #expect(old.daysLeft < 0)
        #expect(old.expires == ISO8601DateFormatter().date(from: "2020-01-01T00:00:00Z"))
        let current = try #require(report.credentials.last)
        #expect(!current.expired)
        #expect(current.label == "jamf-intune")
        #expect(current.appId == Self.appID)
        #expect(current.daysLeft == 19)
        #expect(current.state == "current")

        let narrow = try sandbox.run(["expiring", "--format", "json", "--days", "0"])
        #expect(narrow.exitStatus == 2, "\(narrow)")
        #expect(try sandbox.decode(ExpiringReport.self, from: narrow).credentials.map(\.keyId) == [oldKeyID])
    }

    /// The text exposition format: HELP and TYPE for every metric, one sample per credential.
    private func checkPrometheus(_ sandbox: Sandbox, keyID: String, oldKeyID: String) throws {
        let result = try sandbox.run(["expiring", "--format", "prometheus"])
        #expect(result.exitStatus == 2, "\(result)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let metrics = [
            "secrets_credential_expiry_timestamp_seconds", "secrets_credential_days_left",
            "secrets_expiring_check_success", "secrets_expiring_window_days", "secrets_expiring_last_check_timestamp_seconds",
        ]
        for metric in metrics {
            #expect(lines.contains { $0.hasPrefix("# HELP \(metric) ") }, "no HELP for \(metric)")
            #expect(lines.contains("# TYPE \(metric) gauge"), "no TYPE for \(metric)")
        }
        for line in lines where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2 && Int64(parts[1]) != nil, "not a sample line: \(line)")
            #expect(metrics.contains { parts[0] == $0 || parts[0].hasPrefix($0 + "{") }, "unknown metric: \(line)")
        }
        #expect(lines.contains("secrets_expiring_check_success 1"), "\(result)")
        let labels = "{app=\"jamf-intune\",app_id=\"\(Self.appID)\",key_id=\"\(keyID)\",state=\"current\",type=\"secret\"}"
        #expect(lines.contains("secrets_credential_days_left\(labels) 19"), "\(result)")
        let expiry = try #require(lines.first { $0.hasPrefix("secrets_credential_expiry_timestamp_seconds\(labels) ") })
        let timestamp = try #require(TimeInterval(String(expiry.split(separator: " ")[1])))
        #expect(abs(timestamp - Date().timeIntervalSince1970 - 20 * 86_400) < 120)
        #expect(lines.contains { $0.hasPrefix("secrets_credential_expiry_timestamp_seconds{app=\"legacy-sync\"") && $0.hasSuffix(" 1577836800") })
        #expect(lines.contains { $0.contains("key_id=\"\(oldKeyID)\"") })
        #expect(lines.contains("secrets_expiring_window_days 30"))
    }
}

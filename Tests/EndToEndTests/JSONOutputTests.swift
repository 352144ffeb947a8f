import Foundation
import Testing

/// Every `--json` output decodes into the shape the README documents.
@Suite("JSON outputs")
struct JSONOutputTests {
    @Test("list, app list, app show, expiring, recipients list, log, verify and import print the documented JSON")
    func shapes() throws {
        let sandbox = try Sandbox("json")
        defer { sandbox.remove() }
        let appID = Sandbox.guid()
        let firstSecret = Sandbox.secretValue()
        let secondSecret = Sandbox.secretValue()
        try sandbox.initVault()
        try sandbox.succeed([
            "app", "add", "jamf-intune", "--app-id", appID.uppercased(), "--tenant", "Contoso.onmicrosoft.com",
            "--issuer", "entra-id", "--consumer", "jamf-pro-intune=https://contoso.jamfcloud.com",
            "--lifetime", "1y", "--rotate-before", "45d", "--overlap", "3d", "--tag", "prod", "--tag", "compliance",
            "--notes", "Jamf Pro device compliance",
        ])
        try sandbox.addApp("unused")
        let firstKey = try sandbox.addSecret("jamf-intune", value: firstSecret, expires: "2027-05-31")
        let secondKey = try sandbox.addSecret("jamf-intune", value: secondSecret, expires: "300d")

        let rows = try sandbox.decode([ListRow].self, from: try sandbox.succeed(["list", "--json"]))
        #expect(rows.map(\.label) == ["jamf-intune", "unused"])
        #expect(rows[0].appId == appID, "app IDs are stored lowercased")
        #expect(rows[0].tenant == "contoso.onmicrosoft.com")
        #expect(rows[0].status == "ok")
        #expect(rows[0].current?.keyId == secondKey)
        #expect(rows[1].status == "none")
        #expect(rows[1].current == nil)

        let apps = try sandbox.decode([AppJSON].self, from: try sandbox.succeed(["app", "list", "--json"]))
        let app = try #require(apps.first { $0.label == "jamf-intune" })
        #expect(app.issuer == "entra-id")
        #expect(app.consumers.map(\.kind) == ["jamf-pro-intune"])
        #expect(app.consumers.map(\.target) == ["https://contoso.jamfcloud.com"])
        #expect(app.policy.lifetimeSeconds == 365 * 86_400)
        #expect(app.policy.rotateBeforeSeconds == 45 * 86_400)
        #expect(app.policy.overlapSeconds == 3 * 86_400)
        #expect(app.tags == ["prod", "compliance"])
        #expect(app.notes == "Jamf Pro device compliance")
        #expect(app.credentials == nil)

        let shown = try sandbox.decode(AppJSON.self, from: try sandbox.succeed(["app", "show", appID, "--json"]))
        let credentials = try #require(shown.credentials)
        #expect(Set(credentials.map(\.keyId)) == [firstKey, secondKey])
        let demoted = try #require(credentials.first { $0.keyId == firstKey })
        #expect(demoted.state == "previous")
        #expect(demoted.retireAfter != nil, "a demoted secret gets a retire-after time")
        #expect(demoted.expires == ISO8601DateFormatter().date(from: "2027-05-31T00:00:00Z"))
        #expect(credentials.first { $0.keyId == secondKey }?.state == "current")
        #expect(credentials.allSatisfy { $0.valueStored == true })

        let expiring = try sandbox.run(["expiring", "--days", "400", "--json"])
        #expect(expiring.exitStatus == 1, "\(expiring)")
        let report = try sandbox.decode(ExpiringReport.self, from: expiring)
        #expect(report.status == "warning")
        #expect(report.days == 400)
        #expect(Set(report.credentials.map(\.keyId)) == [firstKey, secondKey])

        let recipients = try sandbox.decode([RecipientJSON].self, from: try sandbox.succeed(["recipients", "list", "--json"]))
        #expect(recipients.map(\.role) == ["admin"])

        let log = try sandbox.decode([LogEntryJSON].self, from: try sandbox.succeed(["log", "--json"]))
        #expect(log.map(\.sequence) == Array(1...log.count))
        #expect(log.first?.action == "vault.init")
        #expect(log.contains { $0.action == "secret.add" && $0.keyID == secondKey && $0.app == "jamf-intune" })
        let appLog = try sandbox.decode([LogEntryJSON].self, from: try sandbox.succeed(["log", "--app", "jamf-intune", "--json"]))
        #expect(!appLog.isEmpty && appLog.allSatisfy { $0.appID == appID })

        let verified = try sandbox.decode(VerifyJSON.self, from: try sandbox.succeed(["verify", "--json"]))
        #expect(verified.checked == ["keyring": 1, "apps": 2, "credentials": 2, "audit": log.count, "rotations": 0])
        #expect(verified.secretValuesChecked == 2)
        #expect(!verified.secretValuesSkipped)
        #expect(verified.problems.isEmpty)

        // An export imported back into its own vault changes nothing. Its jamf-pro-intune consumer is
        // an action, which even the vault's own (unauthenticated) export must be allowed.
        let keyFile = sandbox.directory.path("backup-key.txt")
        let publicKey = try Tools.generateKey(at: keyFile)
        let exportFile = sandbox.directory.path("backup.age")
        try sandbox.succeed(["export", "--recipient", publicKey, "--output", exportFile])
        let imported = try sandbox.decode(
            ImportJSON.self, from: try sandbox.succeed(["import", exportFile, "--decrypt-identity", keyFile, "--json", "--allow-actions"]))
        #expect(imported.appsAdded == 0)
        #expect(imported.credentialsAdded == 0)
        #expect(imported.unchanged == 2)
        #expect(imported.conflictsSkipped.isEmpty)

        sandbox.expectNoLeak(of: firstSecret)
        sandbox.expectNoLeak(of: secondSecret)
    }
}

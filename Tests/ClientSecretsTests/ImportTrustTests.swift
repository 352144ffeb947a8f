import Foundation
import Testing

@testable import ClientSecrets

/// Which app settings are actions, and how `importDocument` trusts a document (issue 12, attack 3).
@Suite("Import trust")
struct ImportTrustTests {
    /// An app using every setting that makes an admin act.
    static let busyApp = App(
        label: "busy", appID: Sample.guid(), tenant: "contoso.onmicrosoft.com", issuer: .jamfProAPIClient, rotator: "graph-rotator",
        jamfProIssuer: JamfProIssuerSettings(url: "https://jamf.example.com", integrationID: "7"),
        consumers: [
            Consumer(kind: .command, target: "/usr/local/bin/hook"),
            Consumer(kind: .jamfProIntune, target: "https://jamf.example.com", apiClient: "jamf-api", canaryComputerID: "42",
                     applyCommand: "/usr/local/bin/apply"),
        ])

    @Test("every rotator, server URL, command and API client is an action; identity, policy, tags and notes are not")
    func classification() throws {
        var busy = Self.busyApp
        // A setting no issuer declares (a newer version's, or planted): it cannot be checked, so it
        // is an action. Validation refuses it, but the list must not depend on that.
        busy.issuerSettings["endpoint"] = "https://issuer.example.com"
        // The same for a consumer setting no consumer kind declares.
        busy.consumers[0].settings["webhook"] = "https://hooks.example.com"
        let actions = busy.actions
        #expect(actions.map(\.kind) == [
            .rotator, .jamfProServer, .issuerServer, .commandConsumer, .consumerSetting, .jamfProIntuneURL, .jamfAPIClient, .applyCommand,
        ])
        #expect(actions.map(\.field) == [
            "rotator", "jamfProIssuer.url", "issuerSettings.endpoint", "consumers[0].target (command)", "consumers[0].webhook",
            "consumers[1].target (jamf-pro-intune URL)", "consumers[1].apiClient", "consumers[1].applyCommand",
        ])
        #expect(actions.map(\.value) == [
            "graph-rotator", "https://jamf.example.com", "https://issuer.example.com", "/usr/local/bin/hook", "https://hooks.example.com",
            "https://jamf.example.com", "jamf-api", "/usr/local/bin/apply",
        ])
        #expect(actions.allSatisfy { $0.app == "busy" })
        let plain = App(label: "plain", appID: Sample.guid(), tenant: "contoso.onmicrosoft.com", cloud: .usgov, issuer: .entraID,
                        tags: ["prod"], notes: "notes")
        #expect(plain.actions.isEmpty)
        // Every kind is produced by the app above, so a new kind cannot go untested.
        #expect(Set(actions.map(\.kind)) == Set(AppAction.Kind.allCases))
    }

    @Test("control, format and separator characters are shown as escapes")
    func neutralised() {
        #expect(AppAction.neutralised("a\u{1B}[2Jb\u{07}") == "a\\u{1B}[2Jb\\u{7}")
        #expect(AppAction.neutralised("safe\u{202E}txt.exe\u{2028}") == "safe\\u{202E}txt.exe\\u{2028}")
        #expect(AppAction.neutralised("pässwörd ✓ /usr/bin/x") == "pässwörd ✓ /usr/bin/x")
    }

    @Test("a document of another vault, or one with actions, imports nothing unless that is trusted")
    func trust() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let plain = ExportedApp(app: Sample.app("plain"), credentials: [])
        let busy = ExportedApp(app: Self.busyApp, credentials: [])
        let foreign = ExportDocument(exportedAt: Sample.now, vaultID: String(repeating: "ab", count: 16), apps: [plain])
        let ownWithActions = ExportDocument(exportedAt: Sample.now, vaultID: vault.vaultID, apps: [plain, busy])
        let auditBefore = try vault.auditLog().count

        let otherVault = expectVaultError { try vault.importDocument(foreign, now: Sample.now) }
        #expect(otherVault == .importNotTrusted(otherVaultID: foreign.vaultID, actions: []))
        #expect("\(otherVault.map(String.init(describing:)) ?? "")".contains("--from-other-vault"))
        let withActions = expectVaultError { try vault.importDocument(ownWithActions, now: Sample.now) }
        #expect(withActions == .importNotTrusted(otherVaultID: nil, actions: Self.busyApp.actions))
        let described = withActions.map(String.init(describing:)) ?? ""
        #expect(described.contains("--allow-actions") && !described.contains("--from-other-vault"), "\(described)")
        #expect(described.contains("app \"busy\": consumers[1].applyCommand"), "\(described)")
        #expect(expectVaultError { try vault.importDocument(ownWithActions, trusting: .otherVault, now: Sample.now) }?.isImportNotTrusted == true)
        #expect(try vault.overview().isEmpty)
        #expect(try vault.auditLog().count == auditBefore)

        #expect(try vault.importDocument(foreign, trusting: .otherVault, now: Sample.now).appsAdded == 1)
        #expect(try vault.importDocument(ownWithActions, trusting: .actions, now: Sample.now).appsAdded == 1)
        #expect(try vault.app("busy").app == Self.busyApp)
    }
}

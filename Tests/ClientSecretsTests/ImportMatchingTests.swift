import Foundation
import Testing

@testable import ClientSecrets

/// Imports match apps by app ID only. Found by the FuzzAzureImport target (Fuzz/): an app
/// labelled with another app's GUID used to receive that app's imported credentials.
@Suite("Import matches apps by app ID")
struct ImportMatchingTests {
    /// An app whose label is the app ID of another registration.
    static let labelledApp = Sample.app("6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d", appID: "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9")
    static let otherAppID = "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d"
    static let keyID = "11111111-2222-4333-8444-555555555555"

    @Test("Azure credentials of an app go to that app, not to one labelled with its app ID")
    func azureImportDoesNotMatchByLabel() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Self.labelledApp, now: Sample.now)
        let document = AzureApplicationsDocument(source: .azAppList, applications: [
            .init(appID: Self.otherAppID, displayName: nil, credentials: [
                .init(keyID: Self.keyID, displayName: nil, hint: "abc", start: nil, end: Sample.at(days: 30)),
            ]),
        ])

        let summary = try vault.importAzure(document, tenant: "contoso.onmicrosoft.com", cloud: .global, now: Sample.now)

        #expect(summary.appsAdded == 1)
        let exported = try vault.exportDocument(now: Sample.now)
        let labelled = try #require(exported.apps.first { $0.appId == Self.labelledApp.appID })
        #expect(labelled.credentials.isEmpty)
        let added = try #require(exported.apps.first { $0.appId == Self.otherAppID })
        #expect(added.credentials.map(\.keyId) == [Self.keyID])
        // Its app ID is taken as a label, so the fallback label is numbered.
        #expect(added.label == Self.otherAppID + "-2")
    }

    @Test("an export entry is not a conflict with an app labelled with its app ID")
    func exportImportDoesNotMatchByLabel() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Self.labelledApp, now: Sample.now)
        let incoming = Sample.app("incoming", appID: Self.otherAppID)
        let document = ExportDocument(exportedAt: Sample.now, vaultID: vault.vaultID, apps: [ExportedApp(app: incoming, credentials: [])])

        let summary = try vault.importDocument(document, now: Sample.now)

        #expect(summary.appsAdded == 1)
        #expect(summary.conflictsSkipped.isEmpty)
        let exported = try vault.exportDocument(now: Sample.now)
        #expect(exported.apps.first { $0.appId == Self.otherAppID }?.label == "incoming")
    }
}

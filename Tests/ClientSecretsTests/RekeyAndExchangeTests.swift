import Age
import CryptoPrimitives
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

/// What an app looks like through the public API, in an order that does not depend on timing.
private struct AppSnapshot: Equatable {
    struct CredentialSnapshot: Equatable {
        var credential: Credential
        var hasValue: Bool
        var value: String?
    }

    var app: App
    var credentials: [CredentialSnapshot]

    static func of(_ vault: Vault) throws -> [AppSnapshot] {
        try vault.overview().map { overview in
            let label = overview.record.app.label
            return AppSnapshot(
                app: overview.record.app,
                credentials: try overview.credentials.map { record in
                    CredentialSnapshot(
                        credential: record.credential, hasValue: record.hasValue,
                        value: record.hasValue ? Sample.text(try vault.secretValue(of: label, keyID: record.credential.keyID)) : nil)
                }.sorted { $0.credential.keyID < $1.credential.keyID })
        }
    }
}

/// Fills `vault` with apps covering every field an export carries; returns how many credentials it holds.
@discardableResult
private func fillForExport(_ vault: Vault) throws -> Int {
    var alpha = App(
        label: "Alpha", appID: Sample.guid(), tenant: "contoso.onmicrosoft.com", cloud: .usgov, issuer: .entraID,
        consumers: [Consumer(kind: .jamfProIntune, target: "https://jamf.example.com"), Consumer(kind: .command, target: "/usr/local/bin/hook")],
        policy: RotationPolicy(lifetime: 180 * Sample.day, rotateBefore: 20 * Sample.day, overlap: 5 * Sample.day),
        tags: ["prod", "intune"], notes: "first line\nsecond line")
    alpha.notes += " ✓"
    try vault.addApp(alpha, now: Sample.at(days: -40))
    try vault.addSecret(to: "Alpha", value: Sample.value("alpha-one"), expires: Sample.at(days: 150), displayName: "first", now: Sample.at(days: -30))
    try vault.addSecret(to: "Alpha", value: Sample.value("alpha-two"), expires: Sample.at(days: 179), now: Sample.at(days: -1))
    try vault.addSecret(to: "Alpha", value: Sample.value("alpha-three"), expires: nil, state: .pending, now: Sample.now)
    try vault.addApp(Sample.app("beta"), now: Sample.now)
    try vault.addSecret(to: "beta", value: Sample.value("beta-one"), expires: nil, now: Sample.now)
    try vault.addApp(Sample.app("Gamma (no credentials)"), now: Sample.now)
    // A credential whose value the vault never held, as an Azure import records it.
    let delta = Sample.app("Delta")
    let metadataOnly = Credential(
        keyID: Sample.guid(), hint: "dX~", created: Sample.now, validFrom: Sample.now, expires: Sample.at(days: 60), state: .current)
    try vault.importDocument(
        ExportDocument(exportedAt: Sample.now, vaultID: vault.vaultID, apps: [ExportedApp(app: delta, credentials: [ExportedCredential(metadataOnly, value: nil)])]),
        now: Sample.now)
    return 5
}

@Suite("Rekey, export and import")
struct RekeyAndExchangeTests {
    @Test("after rekey every value reads back, the reader still opens, and the old keys open nothing", .sqliteFile)
    func rekey() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        let reader = try X25519Identity.generate()
        try vault.addRecipient(reader.recipient, role: .reader, name: "monitor", now: Sample.now)
        try fillForExport(vault)
        let before = try AppSnapshot.of(vault)
        let auditCount = try vault.auditLog().count
        let sealedColumns = """
            SELECT quote(meta) FROM apps UNION ALL SELECT quote(label_hash) FROM apps
            UNION ALL SELECT quote(meta) FROM credentials UNION ALL SELECT quote(secret) FROM credentials WHERE secret IS NOT NULL
            UNION ALL SELECT quote(details) FROM audit WHERE seq <= \(auditCount)
            """
        let sealedBefore = try RawVaultFile.read(harness.path) { db in try String.fetchAll(db, sql: sealedColumns) }
        let oldAdminEntry = try RawVaultFile.read(harness.path) { db in try Data.fetchOne(db, sql: "SELECT wrapped FROM keyring WHERE role = 'admin'") }

        let rekeyed = try vault.rekey(now: Sample.at(days: 1))
        #expect(rekeyed.vaultID == vault.vaultID)
        #expect(try AppSnapshot.of(rekeyed) == before)
        let report = try rekeyed.verify()
        #expect(report.problems == [])
        #expect(report.secretValuesChecked == 4)
        #expect(try rekeyed.auditLog().last?.action == .vaultRekey)

        // Every sealed column and lookup hash was rewritten under the new keys.
        let sealedAfter = try RawVaultFile.read(harness.path) { db in try String.fetchAll(db, sql: sealedColumns) }
        #expect(sealedBefore.count == 4 + 4 + 5 + 4 + auditCount)
        #expect(sealedAfter.count == sealedBefore.count)
        #expect(Set(sealedAfter).isDisjoint(with: sealedBefore))

        // The admin and the reader open the rekeyed vault from the file.
        #expect(try AppSnapshot.of(try harness.open()) == before)
        let asReader = try harness.open([reader])
        #expect(asReader.role == .reader)
        #expect(try asReader.overview() == rekeyed.overview())
        #expect(try asReader.verify().isClean)

        // The handle with the old keys (made by `create`, so without an identity to follow the
        // rekey with) reads nothing and cannot write, and says why rather than "tampered".
        for stale in [
            expectVaultError { try vault.overview() }, expectVaultError { try vault.app("Alpha") },
            expectVaultError { try vault.addApp(Sample.app("Stale"), now: Sample.now) },
        ] {
            guard case .busy(let reason)? = stale?.detail, reason.contains("data keys were replaced") else {
                Issue.record("expected busy (keys replaced), got \(String(describing: stale))")
                return
            }
        }
        #expect(try rekeyed.overview().count == 4)

        // A copy of the admin's old keyring entry, put back, unlocks keys that open no row.
        try RawVaultFile.write(harness.path) { db in
            try db.execute(sql: "UPDATE keyring SET wrapped = ? WHERE role = 'admin'", arguments: [oldAdminEntry])
        }
        // Its keys are of the old generation and derive the old authority key, not the one the
        // vault now names: refused on open.
        let withOldEntry = expectVaultError { try harness.open() }
        guard case .integrityMismatch(let reason)? = withOldEntry?.detail else { Issue.record("got \(String(describing: withOldEntry))"); return }
        #expect(reason.contains("authority key at the keys' generation 1"), "\(reason)")
    }

    @Test("export, encode, decode and import into a fresh vault reproduce every app, credential and value")
    func roundTrip() throws {
        let (source, sourceVault) = try VaultHarness.make()
        defer { source.remove() }
        try fillForExport(sourceVault)
        let document = try sourceVault.exportDocument(now: Sample.now)
        #expect(document.vaultID == sourceVault.vaultID)
        #expect(document.apps.map(\.label) == ["Alpha", "beta", "Delta", "Gamma (no credentials)"])
        let encoded = try document.encoded()
        let decoded = try ExportDocument.decode(encoded)
        #expect(decoded == document)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"format\" : \"secrets-export\""))

        let (target, targetVault) = try VaultHarness.make()
        defer { target.remove() }
        // Another vault's export, whose Alpha has consumers: both must be allowed.
        let summary = try targetVault.importDocument(decoded, trusting: [.otherVault, .actions], now: Sample.at(days: 1))
        #expect(summary == ImportSummary(appsAdded: 4, credentialsAdded: 5, unchanged: 0, conflictsSkipped: []))
        let expected = try AppSnapshot.of(sourceVault)
        #expect(expected.flatMap(\.credentials).count == 5)
        #expect(expected.flatMap(\.credentials).compactMap(\.value).sorted() == ["alpha-one", "alpha-three", "alpha-two", "beta-one"])
        #expect(try AppSnapshot.of(targetVault) == expected)
        let alpha = try #require(try targetVault.overview(of: "Alpha").credentials.first { $0.credential.state == .previous })
        #expect(alpha.credential.retireAfter == Sample.at(days: -1 + 5))
        #expect(try targetVault.verify().isClean)

        // The second import of the same document changes nothing.
        let again = try targetVault.importDocument(decoded, trusting: [.otherVault, .actions], now: Sample.at(days: 2))
        #expect(again == ImportSummary(appsAdded: 0, credentialsAdded: 0, unchanged: 5, conflictsSkipped: []))
        #expect(try AppSnapshot.of(targetVault) == expected)
    }

    @Test("a timestamp the export would not write (a fraction, a one-digit second) is refused, not changed on the way through",
          arguments: [".5Z", "Z:5.6"])
    func nonCanonicalTimestamp(_ damage: String) throws {
        let (source, sourceVault) = try VaultHarness.make()
        defer { source.remove() }
        try fillForExport(sourceVault)
        let text = String(decoding: try sourceVault.exportDocument(now: Sample.now).encoded(), as: UTF8.self)
        // "…T08:00:00Z" becomes "…T08:00:00.5Z", or "…T08:00:5.6Z" (found by FuzzExportDocument).
        let exportedAt = try #require(text.range(of: #""exportedAt" : "[^"]*""#, options: .regularExpression))
        var field = String(text[exportedAt])
        if damage == ".5Z" {
            field = field.replacingOccurrences(of: "Z\"", with: ".5Z\"")
        } else {
            field = field.replacingOccurrences(of: #":\d\dZ""#, with: ":5.6Z\"", options: .regularExpression)
        }
        #expect(field != String(text[exportedAt]))
        let damaged = text.replacingCharacters(in: exportedAt, with: field)
        let error = expectVaultError { try ExportDocument.decode(Data(damaged.utf8)) }
        #expect("\(String(describing: error))".contains("exportedAt"), "\(String(describing: error))")
    }

    @Test("an import that would change a record changes nothing, unless conflicts are skipped")
    func conflicts() throws {
        let (source, sourceVault) = try VaultHarness.make()
        defer { source.remove() }
        try fillForExport(sourceVault)
        let original = try sourceVault.exportDocument(now: Sample.now)
        let (target, vault) = try VaultHarness.make()
        defer { target.remove() }
        try vault.importDocument(original, trusting: [.otherVault, .actions], now: Sample.now)
        let before = try AppSnapshot.of(vault)
        let auditBefore = try vault.auditLog().count

        var changed = original
        let alphaIndex = try #require(changed.apps.firstIndex { $0.label == "Alpha" })
        let currentIndex = try #require(changed.apps[alphaIndex].credentials.firstIndex { $0.state == .current })
        let changedKeyID = changed.apps[alphaIndex].credentials[currentIndex].keyId
        changed.apps[alphaIndex].credentials[currentIndex].value = "a-different-value"
        let newAppID = Sample.guid()
        changed.apps.append(ExportedApp(
            app: Sample.app("Epsilon", appID: newAppID),
            credentials: [ExportedCredential(
                Credential(keyID: Sample.guid(), hint: "eps", created: Sample.now, validFrom: Sample.now, expires: nil, state: .current),
                value: "epsilon-value")]))

        let conflicts = expectVaultError {
            try vault.importDocument(changed, trusting: [.otherVault, .actions], now: Sample.at(days: 1))
        }?.importConflictList
        #expect(conflicts?.count == 1)
        #expect(conflicts?.first?.contains(changedKeyID) == true)
        #expect(try AppSnapshot.of(vault) == before)
        #expect(try vault.auditLog().count == auditBefore)
        #expect(expectVaultError { try vault.app("Epsilon") } == .appNotFound("Epsilon"))

        let summary = try vault.importDocument(changed, skipConflicts: true, trusting: [.otherVault, .actions], now: Sample.at(days: 1))
        #expect(summary.appsAdded == 1)
        #expect(summary.credentialsAdded == 1)
        #expect(summary.unchanged == 4)
        #expect(summary.conflictsSkipped.count == 1)
        #expect(summary.conflictsSkipped.first?.contains(changedKeyID) == true)
        #expect(Sample.text(try vault.secretValue(of: "Alpha", keyID: changedKeyID)) == "alpha-two")
        #expect(Sample.text(try vault.secretValue(of: newAppID)) == "epsilon-value")
        #expect(try vault.verify().isClean)
    }

    @Test("an import document with a bad key ID, an empty value, a repeated key ID or two current credentials changes nothing")
    func invalidImportContents() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        func credential(_ keyID: String, _ state: CredentialState, value: String?) -> ExportedCredential {
            ExportedCredential(
                Credential(keyID: keyID, hint: "abc", created: Sample.now, validFrom: Sample.now, expires: Sample.at(days: 30), state: state),
                value: value)
        }
        let repeated = Sample.guid()
        let cases: [(String, [ExportedCredential])] = [
            ("not a GUID", [credential("not-a-guid", .current, value: "abc-value")]),
            ("empty", [credential(Sample.guid(), .current, value: "")]),
            ("appears twice", [credential(repeated, .current, value: "one"), credential(repeated, .previous, value: "two")]),
            ("more than one current", [credential(Sample.guid(), .current, value: "one"), credential(Sample.guid(), .current, value: "two")]),
        ]
        for (fragment, credentials) in cases {
            let document = ExportDocument(
                exportedAt: Sample.now, vaultID: "00", apps: [ExportedApp(app: Sample.app("Imported"), credentials: credentials)])
            let error = expectVaultError { try vault.importDocument(document, trusting: .otherVault, now: Sample.now) }
            guard case .invalidDocument(let reason) = error?.detail else {
                Issue.record("\(fragment): expected invalidDocument, got \(String(describing: error))")
                continue
            }
            #expect(reason.contains(fragment), "\(reason)")
        }
        #expect(try vault.overview().isEmpty)
    }

    @Test("documents of another format or version, or not JSON, are refused")
    func invalidDocuments() throws {
        let valid = ExportDocument(exportedAt: Sample.now, vaultID: "00", apps: [])
        var otherFormat = valid
        otherFormat.format = "something-else"
        var newerVersion = valid
        newerVersion.version = ExportDocument.currentVersion + 1
        let inputs: [Data] = [
            try otherFormat.encoded(), try newerVersion.encoded(), Data("not json at all".utf8), Data("[]".utf8), Data("{}".utf8),
            Data(#"{"format":"secrets-export","version":1,"exportedAt":"yesterday","vaultID":"00","apps":[]}"#.utf8), Data(),
        ]
        for input in inputs {
            let error = expectVaultError { try ExportDocument.decode(input) }
            #expect(error?.isInvalidDocument == true, "\(String(decoding: input, as: UTF8.self)) gave \(String(describing: error))")
        }
        #expect(try ExportDocument.decode(try valid.encoded()) == valid)
    }
}

import Foundation
import Testing

@testable import ClientSecrets

/// The secret description is the one App field of record version 3: an app without one is still
/// written as version 2, byte for byte what an older `secrets` writes and reads.
@Suite("app record versions")
struct AppRecordVersionTests {
    static let app = App(
        label: "jamf-intune", appID: "0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07", tenant: "contoso.onmicrosoft.com",
        issuer: .entraID, rotator: "rotator", tags: ["prod"], notes: "n")

    static func decode(_ bytes: [UInt8]) throws -> App {
        try bytes.withUnsafeBytes { try App(record: $0) }
    }

    @Test("without a description: version 2, read back unchanged")
    func withoutDescription() throws {
        let bytes = Self.app.record()
        #expect(bytes.first == 2)
        #expect(try Self.decode(bytes) == Self.app)
    }

    @Test("with a description: version 3, read back with it; a version 2 record cannot smuggle one in")
    func withDescription() throws {
        var app = Self.app
        app.secretDescription = "Jamf Pro Intune"
        let bytes = app.record()
        #expect(bytes.first == 3)
        #expect(try Self.decode(bytes) == app)
        var relabelled = bytes
        relabelled[0] = 2
        #expect(throws: (any Error).self) { try Self.decode(relabelled) }
    }

    @Test("an export carries the description, and a document without the field (older exports) reads as none")
    func export() throws {
        var app = Self.app
        app.secretDescription = "Jamf Pro Intune"
        let encoded = try JSONEncoder().encode(ExportedApp(app: app, credentials: []))
        #expect(try JSONDecoder().decode(ExportedApp.self, from: encoded).app == app)
        let plain = try JSONEncoder().encode(ExportedApp(app: Self.app, credentials: []))
        #expect(!String(decoding: plain, as: UTF8.self).contains("secretDescription"))
        #expect(try JSONDecoder().decode(ExportedApp.self, from: plain).app.secretDescription == nil)
    }

    @Test("another issuer's settings: version 4, read back with them and with or without a description; Jamf Pro's stay in version 2")
    func otherIssuerSettings() throws {
        var app = Self.app
        app.issuerSettings["endpoint"] = "https://issuer.example.com"
        let bytes = app.record()
        #expect(bytes.first == 4)
        #expect(try Self.decode(bytes) == app)
        app.secretDescription = "d"
        #expect(try Self.decode(app.record()) == app)
        var jamf = Self.app
        jamf.issuer = .jamfProAPIClient
        jamf.jamfProIssuer = JamfProIssuerSettings(url: "https://jamf.example.com", integrationID: "7")
        #expect(jamf.record().first == 2)
        #expect(try Self.decode(jamf.record()) == jamf)
        var truncated = app.record()
        truncated.removeLast()
        #expect(throws: (any Error).self) { try Self.decode(truncated) }
    }

    @Test("an export shows another issuer's settings under issuerSettings, and only when there are some")
    func exportOfOtherSettings() throws {
        var app = Self.app
        app.issuerSettings["endpoint"] = "https://issuer.example.com"
        let encoded = try JSONEncoder().encode(ExportedApp(app: app, credentials: []))
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""issuerSettings":{"endpoint":"https:\/\/issuer.example.com"}"#))
        #expect(try JSONDecoder().decode(ExportedApp.self, from: encoded).app == app)
        let plain = try JSONEncoder().encode(ExportedApp(app: Self.app, credentials: []))
        #expect(!String(decoding: plain, as: UTF8.self).contains("issuerSettings"))
    }

    @Test("settings are validated by the issuer that declares them; an undeclared one, or half of an issuer's, is refused")
    func settingsValidation() throws {
        var jamf = Self.app
        jamf.issuer = .jamfProAPIClient
        jamf.issuerSettings = ["url": "https://jamf.example.com", "integration-id": "7"]
        try jamf.validate()
        jamf.issuerSettings["integration-id"] = "7a"
        #expect(throws: VaultError.invalidValue(field: "jamf-integration-id", reason: "\"7a\" is not a number of at most 18 digits")) {
            try jamf.validate()
        }
        jamf.issuerSettings["integration-id"] = nil
        #expect(throws: VaultError.self) { try jamf.validate() }
        jamf.issuerSettings = ["url": "http://jamf.example.com", "integration-id": "7"]
        #expect(throws: VaultError.self) { try jamf.validate() }
        // Half of another issuer's settings on an app: refused, not kept and silently dropped.
        var half = Self.app
        half.issuerSettings["url"] = "https://jamf.example.com"
        #expect(throws: VaultError.invalidValue(field: "jamf-integration-id", reason: "the jamf-pro-api-client issuer needs the API integration's id (not its client ID) as well")) {
            try half.validate()
        }
        var planted = Self.app
        planted.issuerSettings["endpoint"] = "https://issuer.example.com"
        #expect(throws: VaultError.invalidValue(field: "issuer-setting", reason: "\"endpoint\" is not a setting of any issuer")) {
            try planted.validate()
        }
    }

    @Test("a setting's key names one setting of one issuer, so storage and the trust rules cannot confuse two")
    func keysAreUniqueAcrossIssuers() {
        let keys = IssuerKind.allCases.flatMap { $0.settings.map(\.key) }
        #expect(Set(keys).count == keys.count)
        let flags = IssuerKind.allCases.flatMap { $0.settings.map(\.flag) }
        #expect(Set(flags).count == flags.count)
    }

    @Test("App's own Codable keeps the shape it had: jamfProIssuer as an object, issuerSettings only for others")
    func appCodable() throws {
        var jamf = Self.app
        jamf.issuer = .jamfProAPIClient
        jamf.jamfProIssuer = JamfProIssuerSettings(url: "https://jamf.example.com", integrationID: "7")
        let text = String(decoding: try JSONEncoder().encode(jamf), as: UTF8.self)
        #expect(text.contains(#""jamfProIssuer":{"#) && !text.contains("issuerSettings"), "\(text)")
        #expect(try JSONDecoder().decode(App.self, from: Data(text.utf8)) == jamf)
        var other = Self.app
        other.issuerSettings["endpoint"] = "https://issuer.example.com"
        #expect(try JSONDecoder().decode(App.self, from: JSONEncoder().encode(other)) == other)
    }
}

/// Consumer kinds declare their settings (``Consumer/Kind/settings``): the three Jamf Pro ones
/// keep their version-2 slots and export keys, and a setting of a kind added later goes into
/// version 5 and the export's consumer entry under its own key, with nothing else changed.
@Suite("consumer settings")
struct ConsumerSettingsTests {
    static let jamf = Consumer(
        kind: .jamfProIntune, target: "https://jamf.example.com", apiClient: "jamf-api", canaryComputerID: "42", applyCommand: "/bin/apply")

    @Test("Jamf Pro's settings stay in version 2 and in the export keys they always had")
    func jamfSettingsUnchanged() throws {
        var app = AppRecordVersionTests.app
        app.consumers = [Self.jamf, Consumer(kind: .command, target: "/bin/hook")]
        #expect(app.record().first == 2)
        #expect(try AppRecordVersionTests.decode(app.record()) == app)
        let json = try JSONEncoder().encode(Self.jamf)
        #expect(try JSONDecoder().decode([String: String].self, from: json) == [
            "kind": "jamf-pro-intune", "target": "https://jamf.example.com", "apiClient": "jamf-api", "canaryComputerID": "42",
            "applyCommand": "/bin/apply",
        ])
        #expect(try JSONDecoder().decode(Consumer.self, from: json) == Self.jamf)
    }

    @Test("a setting no Jamf Pro slot holds: version 5, per consumer, read back; cut short, refused")
    func otherSettingsInVersionFive() throws {
        var app = AppRecordVersionTests.app
        var command = Consumer(kind: .command, target: "/bin/hook")
        command.settings["timeout"] = "30"
        app.consumers = [Self.jamf, command]
        let bytes = app.record()
        #expect(bytes.first == 5)
        let decoded = try AppRecordVersionTests.decode(bytes)
        #expect(decoded == app)
        #expect(decoded.consumers[1].settings == ["timeout": "30"])
        #expect(decoded.consumers[0].settings.count == 3)
        var truncated = bytes
        truncated.removeLast()
        #expect(throws: (any Error).self) { try AppRecordVersionTests.decode(truncated) }
    }

    @Test("validation: each setting by the kind that declares it; one the kind does not declare is refused, naming its owner")
    func validation() throws {
        try Self.jamf.validate()
        var misplaced = Consumer(kind: .command, target: "/bin/hook")
        misplaced.applyCommand = "/bin/apply"
        let error = #expect(throws: VaultError.self) { try misplaced.validate() }
        #expect("\(error.map { $0 } as Any)".contains("jamf-pro-intune"))
        var unknown = Self.jamf
        unknown.settings["colour"] = "blue"
        #expect(throws: VaultError.self) { try unknown.validate() }
        var badCanary = Self.jamf
        badCanary.canaryComputerID = "4x"
        #expect(throws: VaultError.self) { try badCanary.validate() }
    }

    @Test("a consumer waits for a person only when its kind says a person delivers without the setting it lacks")
    func waitsForPerson() {
        #expect(!Self.jamf.waitsForPerson)
        var manual = Self.jamf
        manual.applyCommand = nil
        #expect(manual.waitsForPerson)
        #expect(!Consumer(kind: .command, target: "/bin/hook").waitsForPerson)
    }

    @Test("actions: each kind's target, each declared action setting, and any undeclared setting")
    func actions() {
        var app = AppRecordVersionTests.app
        var command = Consumer(kind: .command, target: "/bin/hook")
        command.settings["timeout"] = "30"
        app.consumers = [Self.jamf, command]
        let actions = app.actions.filter { $0.field.hasPrefix("consumers") }
        #expect(actions.map(\.field) == [
            "consumers[0].target (jamf-pro-intune URL)", "consumers[0].apiClient", "consumers[0].applyCommand",
            "consumers[1].target (command)", "consumers[1].timeout",
        ])
        #expect(actions.map(\.kind) == [.jamfProIntuneURL, .jamfAPIClient, .applyCommand, .commandConsumer, .consumerSetting])
    }
}

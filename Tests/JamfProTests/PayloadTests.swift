import ClientSecrets
import CryptoPrimitives
import Foundation
import Testing

@testable import JamfPro

/// The update payload: its shape against the committed schema, where the secret may appear, and
/// that the same input always gives the same bytes.
@Suite struct PayloadTests {
    static let url = "https://example.jamfcloud.com/"

    static func update(reveal: Bool, cloud: Cloud = .global, tenant: String = Sample.tenant) -> JamfIntunePayload {
        JamfIntunePayload.update(
            app: Sample.app(cloud: cloud, tenant: tenant), jamfProURL: url, credential: Sample.credential(), previous: Sample.previous(),
            secret: reveal ? Sample.value() : nil, canaryComputerID: "42", generatedAt: Sample.now)
    }

    static let disconnect = JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: url, generatedAt: Sample.now)

    static func object(_ bytes: SecureBytes) throws -> [String: Any] {
        let data = bytes.withUnsafeBytes { Data($0) }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func data(_ bytes: SecureBytes) -> Data { bytes.withUnsafeBytes { Data($0) } }

    @Test func everyKindOfPayloadValidatesAgainstTheCommittedSchema() async throws {
        let payloads = [
            Self.update(reveal: true), Self.update(reveal: false), Self.update(reveal: true, cloud: .usgovDoD, tenant: Sample.appID),
            Self.update(reveal: false, cloud: .china),
            JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: Self.url, generatedAt: Sample.now),
            JamfIntunePayload.update(
                app: Sample.app(), jamfProURL: Self.url, credential: Sample.credential(expiresInDays: -1), previous: nil, secret: nil,
                generatedAt: Sample.now),
        ]
        for payload in payloads {
            #expect(try await SchemaValidator.violations(of: Self.data(payload.json())) == [], "\(payload.action) reveal=\(payload.revealsSecret)")
        }
    }

    @Test func theSchemaRejectsDocumentsThatBreakItsRules() async throws {
        var revealedButMarkedRedacted = try Self.object(Self.update(reveal: true).json())
        var settings = try #require(revealedButMarkedRedacted["settings"] as? [String: Any])
        settings["clientSecretRedacted"] = true
        revealedButMarkedRedacted["settings"] = settings
        var disconnectWithSecret = try Self.object(JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: Self.url).json())
        settings = try #require(disconnectWithSecret["settings"] as? [String: Any])
        settings["clientSecret"] = "leaked"
        disconnectWithSecret["settings"] = settings
        var unknownMember = try Self.object(Self.update(reveal: false).json())
        unknownMember["extra"] = 1
        for document in [revealedButMarkedRedacted, disconnectWithSecret, unknownMember] {
            let data = try JSONSerialization.data(withJSONObject: document)
            let violations = try await SchemaValidator.violations(of: data)
            #expect(!violations.isEmpty)
        }
    }

    /// The committed sample is this suite's redacted payload; regenerate it after a deliberate
    /// change with `JAMF_WRITE_EXAMPLE=1 swift test --filter theSampleInExamplesIsValid`.
    @Test func theSampleInExamplesIsValid() async throws {
        let path = Sample.repositoryRoot + "/Examples/jamf-payload/payload.json"
        if ProcessInfo.processInfo.environment["JAMF_WRITE_EXAMPLE"] == "1" {
            try PrivateFile.write(Self.update(reveal: false).json(), to: path)
            try PrivateFile.write(Self.update(reveal: false).runbook(), to: Sample.repositoryRoot + "/Examples/jamf-payload/runbook.txt")
            try PrivateFile.write(Self.disconnect.json(), to: Sample.repositoryRoot + "/Examples/jamf-payload/disconnect.json")
        }
        let disconnect = try #require(FileManager.default.contents(atPath: Sample.repositoryRoot + "/Examples/jamf-payload/disconnect.json"))
        #expect(try await SchemaValidator.violations(of: disconnect) == [])
        #expect(String(decoding: disconnect, as: UTF8.self) == Sample.text(Self.disconnect.json()))
        let sample = try #require(FileManager.default.contents(atPath: path))
        #expect(try await SchemaValidator.violations(of: sample) == [])
        #expect(String(decoding: sample, as: UTF8.self) == Sample.text(Self.update(reveal: false).json()))
    }

    @Test func theSecretAppearsOnlyWhenRevealed() throws {
        let revealed = Sample.text(Self.update(reveal: true).json())
        let redacted = Sample.text(Self.update(reveal: false).json())
        let secret = try #require(Self.object(Self.update(reveal: true).json())["settings"] as? [String: Any])
        #expect(secret["clientSecret"] as? String == Sample.secretText)
        #expect(secret["clientSecretRedacted"] as? Bool == false)
        let hidden = try #require(Self.object(Self.update(reveal: false).json())["settings"] as? [String: Any])
        #expect(hidden["clientSecret"] is NSNull)
        #expect(hidden["clientSecretRedacted"] as? Bool == true)
        for fragment in [Sample.secretText, "Kd/3mP", "vR_7eLw"] {
            #expect(!redacted.contains(fragment))
            #expect(!Sample.text(Self.update(reveal: false).runbook()).contains(fragment))
        }
        #expect(revealed.contains(#"Zq8~T\"x\\Kd/3mP"#), "escaped once, slash kept")
        #expect(Sample.text(Self.update(reveal: true).runbook()).contains(Sample.secretText))
    }

    @Test func disconnectCarriesNoSecretAndSaysWhatIntuneShows() throws {
        let payload = JamfIntunePayload.disconnect(app: Sample.app(), jamfProURL: Self.url, generatedAt: Sample.now)
        let document = try Self.object(payload.json())
        let settings = try #require(document["settings"] as? [String: Any])
        #expect(document["action"] as? String == "disconnect")
        #expect(settings["enabled"] as? Bool == false)
        #expect(settings["clientSecret"] is NSNull)
        #expect(settings["clientSecretRedacted"] as? Bool == false)
        #expect(document["credential"] is NSNull)
        #expect(payload.steps.contains { $0.contains("clear the checkbox") })
        #expect(payload.verify.contains { $0.contains("Terminated") })
    }

    @Test func membersFollowTheDocumentedOrderAndTheFormsOrder() throws {
        let text = Sample.text(Self.update(reveal: true).json())
        func offsets(_ keys: [String]) -> [Int] {
            keys.map { text.range(of: "\"\($0)\":")!.lowerBound.utf16Offset(in: text) }
        }
        let top = ["schemaVersion", "kind", "action", "generatedAt", "jamfProURL", "app", "settings", "credential", "previous", "steps", "verify", "notes"]
        let form = ["enabled", "connectionType", "sovereignCloud", "tenantName", "applicationID", "clientSecret", "clientSecretRedacted"]
        #expect(offsets(top) == offsets(top).sorted())
        #expect(offsets(form) == offsets(form).sorted())
    }

    @Test func theSameInputGivesTheSameBytes() {
        #expect(Sample.text(Self.update(reveal: true).json()) == Sample.text(Self.update(reveal: true).json()))
        #expect(Sample.text(Self.update(reveal: false).runbook()) == Sample.text(Self.update(reveal: false).runbook()))
    }

    @Test func valuesMatchTheApp() throws {
        let document = try Self.object(Self.update(reveal: false).json())
        let settings = try #require(document["settings"] as? [String: Any])
        #expect(document["schemaVersion"] as? Int == 1)
        #expect(document["kind"] as? String == "jamf-pro-macos-intune-integration")
        #expect(document["generatedAt"] as? String == "2027-01-15T08:00:00Z")
        #expect(document["jamfProURL"] as? String == "https://example.jamfcloud.com")
        #expect(settings["connectionType"] as? String == "manual")
        #expect(settings["sovereignCloud"] as? String == "Global")
        #expect(settings["tenantName"] as? String == Sample.tenant)
        #expect(settings["applicationID"] as? String == Sample.appID)
        let credential = try #require(document["credential"] as? [String: Any])
        #expect(credential["keyID"] as? String == Sample.keyID)
        #expect(credential["expires"] as? String == "2027-07-14T08:00:00Z")
        let previous = try #require(document["previous"] as? [String: Any])
        #expect(previous["retireAfter"] as? String == "2027-01-22T08:00:00Z")
    }

    @Test(arguments: [(Cloud.global, "Global"), (.usgov, "US Government"), (.usgovDoD, "US Government"), (.china, "China")])
    func sovereignCloudUsesTheFormsNames(cloud: Cloud, name: String) throws {
        let settings = try #require(Self.object(Self.update(reveal: false, cloud: cloud).json())["settings"] as? [String: Any])
        #expect(settings["sovereignCloud"] as? String == name)
    }

    @Test func notesWarnAboutATenantGUIDAndAnExpiredSecret() {
        let guidTenant = Self.update(reveal: false, tenant: Sample.appID)
        #expect(guidTenant.notes.contains { $0.contains("tenant name") })
        let expired = JamfIntunePayload.update(
            app: Sample.app(), jamfProURL: Self.url, credential: Sample.credential(expiresInDays: -1), previous: nil, secret: nil,
            generatedAt: Sample.now)
        #expect(expired.notes.first?.contains("expired") == true)
    }

    @Test("what the payloads say of the deprecated integration is what Microsoft says (issue 14)")
    func theDeprecationIsToldTruthfully() {
        let update = Self.update(reveal: false)
        let notes = update.notes.joined(separator: "\n")
        #expect(notes.contains("Device Compliance") && notes.contains("deprecated"), "\(notes)")
        // The Cloud Connector belongs to the deprecated feature: it is no way out.
        #expect(!notes.contains("(or the Cloud Connector)"), "\(notes)")
        let disconnect = (Self.disconnect.steps + Self.disconnect.verify).joined(separator: "\n")
        #expect(disconnect.contains("probably cannot be turned on or re-created again"), "\(disconnect)")
        #expect(disconnect.contains("about 90 days"), "\(disconnect)")
        #expect(!disconnect.contains("can be enabled again later"), "\(disconnect)")
        #expect(update.steps.contains { $0.contains("Settings > Global > Conditional Access") })
    }

    @Test func theRunbookListsTheStepsInOrder() {
        let text = Sample.text(Self.update(reveal: false).runbook())
        #expect(text.contains("1. Sign in to Jamf Pro at https://example.jamfcloud.com"))
        #expect(text.contains("Settings > Global > Conditional Access > macOS Intune Integration and click Edit"))
        #expect(text.contains("Click Save"))
        #expect(text.contains("--reveal"))
    }
}

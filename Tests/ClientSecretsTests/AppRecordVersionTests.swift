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
}

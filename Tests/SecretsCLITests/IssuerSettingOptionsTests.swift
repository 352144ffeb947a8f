import ArgumentParser
import ClientSecrets
@testable import SecretsCLI
import Testing

/// `--issuer-setting key=value` is the flag every issuer's settings share; an issuer's own flags
/// (`--jamf-url`, `--jamf-integration-id`) are names for the same keys.
@Suite struct IssuerSettingOptionsTests {
    static func applied(_ arguments: [String], to app: App? = nil) throws -> App {
        let options = try AppFieldOptions.parse(arguments)
        var app = app ?? App(label: "a", appID: "0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07", tenant: "contoso.onmicrosoft.com")
        try options.apply(to: &app, adding: app.issuer == .manual)
        return app
    }

    @Test func theGenericFlagAndTheIssuersOwnFlagsSetTheSameSettings() throws {
        let own = try Self.applied(["--jamf-url", "https://jamf.example.com", "--jamf-integration-id", "7"])
        let generic = try Self.applied(["--issuer-setting", "url=https://jamf.example.com", "--issuer-setting", "integration-id=7"])
        #expect(own == generic)
        #expect(generic.issuer == .jamfProAPIClient)
        #expect(generic.jamfProIssuer == JamfProIssuerSettings(url: "https://jamf.example.com", integrationID: "7"))
    }

    @Test func oneSettingChangesOnlyThatSettingOfAnAppThatHasTheOthers() throws {
        let app = try Self.applied(["--jamf-url", "https://jamf.example.com", "--jamf-integration-id", "7"])
        let edited = try Self.applied(["--issuer-setting", "integration-id=8"], to: app)
        #expect(edited.jamfProIssuer == JamfProIssuerSettings(url: "https://jamf.example.com", integrationID: "8"))
    }

    @Test func anUnknownKeyHalfAnIssuerAndAnotherIssuersFlagAreRefused() throws {
        #expect(throws: VaultError.self) { try Self.applied(["--issuer-setting", "endpoint=https://x.example.com"]) }
        #expect(throws: VaultError.self) { try Self.applied(["--issuer-setting", "url"]) }
        #expect(throws: CLIError.self) { try Self.applied(["--issuer-setting", "url=https://jamf.example.com"]) }
        #expect(throws: CLIError.self) { try Self.applied(["--issuer", "entra-id", "--jamf-url", "https://jamf.example.com"]) }
    }
}

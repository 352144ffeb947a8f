import ArgumentParser
import ClientSecrets
@testable import SecretsCLI
import Testing

/// `--consumer-setting key=value` is the flag every consumer kind's settings share; the Jamf Pro
/// flags (`--jamf-api-client`, `--jamf-canary`, `--apply-command`) are names for the same keys.
@Suite struct ConsumerSettingOptionsTests {
    static let jamf = ["--consumer", "jamf-pro-intune=https://jamf.example.com"]

    @Test func theGenericFlagAndTheJamfFlagsSetTheSameSettings() throws {
        let own = try IssuerSettingOptionsTests.applied(
            Self.jamf + ["--jamf-api-client", "jamf-api", "--jamf-canary", "42", "--apply-command", "/bin/apply"])
        let generic = try IssuerSettingOptionsTests.applied(
            Self.jamf + ["--consumer-setting", "apiClient=jamf-api", "--consumer-setting", "jamf-canary=42", "--consumer-setting", "applyCommand=/bin/apply"])
        #expect(own == generic)
        #expect(generic.consumers.first?.settings == ["apiClient": "jamf-api", "canaryComputerID": "42", "applyCommand": "/bin/apply"])
    }

    @Test func anEmptyValueClearsASettingOfTheFirstConsumerOfItsKind() throws {
        let app = try IssuerSettingOptionsTests.applied(Self.jamf + ["--apply-command", "/bin/apply", "--jamf-canary", "42"])
        let edited = try IssuerSettingOptionsTests.applied(["--consumer-setting", "applyCommand="], to: app)
        #expect(edited.consumers.first?.settings == ["canaryComputerID": "42"])
    }

    @Test func aSettingWithoutItsConsumerOrOfNoKindIsRefused() throws {
        #expect(throws: CLIError.self) { try IssuerSettingOptionsTests.applied(["--consumer-setting", "applyCommand=/bin/apply"]) }
        #expect(throws: CLIError.self) { try IssuerSettingOptionsTests.applied(["--jamf-canary", "42"]) }
        #expect(throws: VaultError.self) { try IssuerSettingOptionsTests.applied(Self.jamf + ["--consumer-setting", "colour=blue"]) }
        #expect(throws: VaultError.self) { try IssuerSettingOptionsTests.applied(Self.jamf + ["--consumer-setting", "no-equals"]) }
    }
}

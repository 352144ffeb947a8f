import Foundation
import ProcessHarness
import Testing

/// Apps whose secrets a person makes in a portal: `rotate` takes the new value on stdin with its
/// key id, and retiring waits until the person confirms the deletion.
@Suite("Rotation with a manual issuer")
struct ManualRotationTests {
    @Test("rotate reads the new secret from stdin; retire waits for --confirm-removed")
    func manualRotation() throws {
        let sandbox = try Sandbox("rotate-manual")
        defer { sandbox.remove() }
        try sandbox.initVault()
        let consumerFile = sandbox.directory.path("consumer.txt")
        try sandbox.succeed([
            "app", "add", "portal-app", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com",
            "--consumer", "command=cat > '\(consumerFile)'",
        ])
        let oldKey = try sandbox.addSecret("portal-app", value: Sandbox.secretValue(), expires: "5d")

        // Without a value (no terminal, empty stdin) the app waits for a person; nothing fails.
        let waiting = try sandbox.run(["rotate", "portal-app"])
        #expect(waiting.exitStatus == 75, "\(waiting)")
        #expect(waiting.output.contains("waiting"), "\(waiting)")

        let newValue = Sandbox.secretValue(), newKey = Sandbox.guid()
        let rotated = try sandbox.succeed(["rotate", "portal-app", "--key-id", newKey, "--expires", "180d"], stdin: newValue)
        #expect(rotated.output.contains(newKey), "\(rotated)")
        #expect(try String(contentsOfFile: consumerFile, encoding: .utf8) == newValue)
        #expect(try sandbox.succeed(["secret", "get", "portal-app"]).output == newValue)
        sandbox.expectNoLeak(of: newValue)

        // Retiring the old key needs the person to say they deleted it in the portal.
        let asked = try sandbox.run(["rotate", "--retire-now", "portal-app", "--yes"])
        #expect(asked.exitStatus == 75, "\(asked)")
        #expect(asked.output.contains("delete the client secret with key id \(oldKey)"), "\(asked)")
        let confirmed = try sandbox.succeed(["rotate", "portal-app", "--confirm-removed", oldKey])
        #expect(confirmed.output.contains(oldKey), "\(confirmed)")
        let shown = try sandbox.succeed(["app", "show", "portal-app"])
        #expect(shown.output.contains("retired"), "\(shown)")
        try sandbox.succeed(["verify"])
    }

    @Test("integrations without a client secret are refused with the reason")
    func secretlessIntegrations() throws {
        let sandbox = try Sandbox("rotate-secretless")
        defer { sandbox.remove() }
        try sandbox.initVault()
        for kind in ["jamf-pro-cloud-connector", "jamf-pro-device-compliance"] {
            try sandbox.fail(
                ["app", "add", "x", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com", "--consumer", "\(kind)=https://x.jamfcloud.com"],
                status: 64, mentioning: "holds no client secret")
        }
        try sandbox.fail(
            ["app", "add", "x", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com", "--consumer", "jamf-pro-intune=http://jamf.example.com"],
            status: 64, mentioning: "loopback")
        try sandbox.succeed(["app", "add", "x", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com", "--issuer", "entra-id"])
        _ = try sandbox.addSecret("x", value: Sandbox.secretValue(), expires: "5d")
        let noRotator = try sandbox.run(["rotate", "x"])
        #expect(noRotator.exitStatus == 1, "\(noRotator)")
        #expect(noRotator.errorOutput.contains("names no rotator"), "\(noRotator)")
        try sandbox.fail(["rotate", "x", "--due"], status: 64, mentioning: "not both")
        try sandbox.fail(["rotate", "x"], status: 64, mentioning: "SECRETS_ENTRA_LOGIN_ENDPOINT",
                         environment: ["SECRETS_ENTRA_LOGIN_ENDPOINT": "http://login.example.com"])
        try sandbox.fail(["rotate", "x"], status: 64, mentioning: "SECRETS_HTTP_TIMEOUT", environment: ["SECRETS_HTTP_TIMEOUT": "soon"])
        try sandbox.fail(["jamf", "payload", "x"], status: 78, mentioning: "jamf-pro-intune")
        try sandbox.fail(["rotate", "nope"], status: 66, mentioning: "nope")
    }
}

import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation
import JamfPro
import Rotation

/// `secrets jamf …`: Jamf Pro's macOS Intune integration.
struct JamfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jamf", abstract: "Jamf Pro's macOS Intune integration: the payload that updates it.",
        subcommands: [JamfPayloadCommand.self])
}

/// `secrets jamf payload APP`: the update payload for an app's current secret.
struct JamfPayloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payload", abstract: "Print the payload that points Jamf Pro's macOS Intune integration at an app's current secret.",
        discussion: """
            No Jamf Pro API writes the macOS Intune integration settings, so the payload is a documented \
            JSON document (schema: Schemas/jamf-intune-payload.v1.schema.json) with every value the \
            Jamf Pro form needs for the secret and the steps to apply and verify it; --format text prints it as a runbook to \
            follow. The client secret is redacted unless --reveal is given, which needs an admin identity. \
            The app needs a jamf-pro-intune consumer (its target is the Jamf Pro URL). Microsoft has \
            deprecated this integration (Conditional Access, manual connection and Cloud Connector) and \
            accepts no new configurations; its replacement, Jamf Pro's Device Compliance, holds no \
            client secret. See the README's "Jamf Pro and Intune today".
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String

    @Option(name: .long, help: "json (the documented payload) or text (a runbook for a person).")
    var format: Format = .json

    @Flag(name: .long, help: "Include the client secret (admin only). Without it the secret is null and marked redacted.")
    var reveal = false

    @Flag(name: .long, help: "The payload that turns the integration off (clears its checkbox); it holds no secret. Asks for confirmation: once off, it probably cannot be turned on again.")
    var disconnect = false

    @Flag(name: .long, help: "Do not ask for confirmation (--disconnect).")
    var yes = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file, mode 0600, instead of stdout.", valueName: "path"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("When the app has several jamf-pro-intune consumers: the Jamf Pro URL to use.", valueName: "url"))
    var jamfUrl: String?

    func validate() throws {
        if reveal, disconnect { throw ValidationError("--disconnect carries no secret; drop --reveal") }
    }

    func run() throws {
        try reportingErrors {
            let vault = try options.open()
            let overview = try vault.overview(of: app)
            // The payload is a view of the app's credentials: a deleted row must not change it.
            try vault.checkIntegrity()
            let record = overview.record.app
            let consumer = try jamfConsumer(of: record)
            let payload: JamfIntunePayload
            if disconnect {
                try Confirmation.require(
                    label: record.label,
                    action: "write the payload that turns off Jamf Pro's Intune integration for \"\(record.label)\" (Microsoft accepts no new Conditional Access configurations, so it probably cannot be turned on again, and Macs that stop reporting leave Intune after about 90 days)",
                    yes: yes)
                payload = .disconnect(app: record, jamfProURL: consumer.target)
            } else {
                guard let current = overview.current else {
                    throw CLIError.noInput(
                        "\"\(record.label)\" has no current secret to put in the payload; add one with `secrets secret add \(record.label)` or rotate it")
                }
                // Jamf Pro's Intune integration takes a client secret; a certificate's value is its private key.
                guard current.kind == .secret else {
                    throw RotationFailure.misconfigured(
                        "\"\(record.label)\" signs in with a certificate, and Jamf Pro's Intune integration takes a client secret; add one with `secrets secret add \(record.label)`")
                }
                let previous = overview.credentials.first {
                    $0.credential.state == .previous && $0.credential.kind == .secret && $0.credential.holder == .application
                }?.credential
                let secret = reveal ? try vault.secretValue(of: record.label, keyID: current.keyID) : nil
                payload = .update(
                    app: record, jamfProURL: consumer.target, credential: current, previous: previous, secret: secret,
                    canaryComputerID: consumer.canaryComputerID)
            }
            let bytes = format == .json ? payload.json() : payload.runbook()
            guard let output else { return Terminal.writeOut(bytes) }
            do {
                try PrivateFile.write(bytes, to: output)
            } catch let error as PrivateFile.WriteError {
                throw CLIError(description: error.description, code: ExitStatus.ioError)
            }
            let secret = payload.revealsSecret ? "with the client secret" : disconnect ? "no secret needed" : "client secret redacted"
            Terminal.printError("Wrote the \(format == .json ? "payload" : "runbook") for \"\(record.label)\" (\(secret)) to \(output), mode 0600")
        }
    }

    /// The app's jamf-pro-intune consumer (the one at --jamf-url when there are several).
    private func jamfConsumer(of app: App) throws -> Consumer {
        let consumers = app.consumers.filter { $0.kind == .jamfProIntune }
        guard !consumers.isEmpty else {
            throw RotationFailure.misconfigured(
                "\"\(app.label)\" has no jamf-pro-intune consumer; add one with `secrets app edit \(app.label) --consumer jamf-pro-intune=https://yourorg.jamfcloud.com` (--consumer replaces the list: repeat it for every consumer the app keeps)")
        }
        func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        if let jamfUrl {
            guard let match = consumers.first(where: { trimmed($0.target).lowercased() == trimmed(jamfUrl).lowercased() }) else {
                throw CLIError.usage(
                    "\"\(app.label)\" has no jamf-pro-intune consumer at \(jamfUrl); it has \(consumers.map(\.target).joined(separator: ", "))")
            }
            return match
        }
        guard consumers.count == 1 else {
            throw CLIError.usage(
                "\"\(app.label)\" has \(consumers.count) jamf-pro-intune consumers; choose one with --jamf-url (\(consumers.map(\.target).joined(separator: ", ")))")
        }
        return consumers[0]
    }
}

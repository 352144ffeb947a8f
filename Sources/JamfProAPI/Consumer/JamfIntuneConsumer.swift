import ClientSecrets
import CryptoPrimitives
import Foundation
import JamfPro

/// The consumer for Jamf Pro's macOS Intune integration (manual connection).
///
/// Deploy: builds the ``JamfIntunePayload`` for the new secret. With an apply command, the command
/// receives the revealed payload JSON on stdin (never in its arguments or environment; see
/// ``ClientSecrets/CommandRunner``) and its exit status 0 means applied. Without one, a person must
/// enter the values in the Jamf Pro form, and deploy says how. Either way, when a payload directory
/// was given, the *redacted* payload is kept there (mode 0600) as a record of what was handed over.
///
/// Verify: with an API client, requests a token, reads the device-compliance feature toggle
/// (proving the API and the client's Conditional Access privileges), and, when the consumer names
/// a canary computer, requires its compliance information to be *reported*: an entry in scope
/// (`applicable`) whose state is `COMPLIANT` or `NON_COMPLIANT`. Non-compliant is accepted on
/// purpose — it means Intune evaluated the Mac with data Jamf Pro sent, which is what the secret
/// is for; whether the Mac itself is compliant is not this check's business. `UNKNOWN` or no entry
/// means nothing is being reported. Jamf Pro keeps the last reported state, so a canary only
/// proves much after it has sent inventory since the change (`sudo jamf recon`); `canaryPolls`
/// lets verify wait for that. Without an API client, or without a canary, verify tells a person
/// what to check in Jamf Pro and in the Intune admin center.
public struct JamfIntuneConsumer: SecretConsumer {
    /// The consumer as the vault records it (target: the Jamf Pro URL).
    public let consumer: Consumer
    /// The Jamf Pro API client used to verify, if any (the consumer's ``ClientSecrets/Consumer/apiClient``).
    public let apiClient: JamfAPIClientCredentials?
    /// Where redacted payloads are kept, if anywhere.
    public let payloadDirectory: String?
    /// Runs the apply command.
    public let runner: CommandRunner
    /// Compliance reads of the canary before verify gives up (at least 1).
    public let canaryPolls: Int
    /// Seconds between those reads.
    public let canaryInterval: TimeInterval
    /// The Jamf Pro API.
    public let client: JamfProClient

    /// Creates the consumer.
    ///
    /// - Parameters:
    ///   - consumer: a ``ClientSecrets/Consumer/Kind/jamfProIntune`` consumer.
    ///   - apiClient: credentials of the API client the consumer names, resolved from the vault.
    ///   - payloadDirectory: a directory to keep redacted payloads in (created 0700 if missing).
    /// - Throws: ``ClientSecrets/RotationFailure/misconfigured(_:)`` for another kind of consumer or
    ///   an unacceptable URL.
    public init(
        consumer: Consumer, apiClient: JamfAPIClientCredentials? = nil, payloadDirectory: String? = nil,
        runner: CommandRunner = CommandRunner(), canaryPolls: Int = 1, canaryInterval: TimeInterval = 30,
        configuration: JamfProClient.Configuration = JamfProClient.Configuration()
    ) throws {
        guard consumer.kind == .jamfProIntune else {
            throw RotationFailure.misconfigured("a \(consumer.kind.rawValue) consumer is not a Jamf Pro Intune integration")
        }
        self.consumer = consumer
        self.apiClient = apiClient
        self.payloadDirectory = payloadDirectory
        self.runner = runner
        self.canaryPolls = max(1, canaryPolls)
        self.canaryInterval = canaryInterval
        self.client = try JamfProClient(url: consumer.target, configuration: configuration)
    }

    /// `jamf-pro-intune <URL>`.
    public var summary: String { "jamf-pro-intune \(client.baseURL.absoluteString)" }

    /// Hands the new secret to Jamf Pro through the apply command, or says what a person must do.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/consumerFailed(_:)`` when the apply command fails or
    ///   overstays (the message names the exit status and nothing the command printed, since it is
    ///   stored in the rotation journal; the output, scrubbed of the secret, is shown on stderr by
    ///   ``ClientSecrets/CommandRunner/reportFailure(_:of:redacting:)``), or the payload cannot be kept.
    public func deploy(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        let url = client.baseURL.absoluteString
        let keyID = delivery.credential.keyID
        var kept = ""
        if let payloadDirectory {
            let path = try keepRedactedPayload(delivery, in: payloadDirectory)
            kept = "; redacted payload kept in \(path)"
        }
        guard let applyCommand = consumer.applyCommand else {
            return .needsPerson(
                "enter secret \(keyID) of \"\(delivery.app.label)\" in Jamf Pro at \(url): run `secrets jamf payload \(delivery.app.label) --reveal --format text` and paste the values it shows into \(JamfIntunePayload.formPath) > Edit, then Save\(kept)")
        }
        let payload = JamfIntunePayload.update(
            delivery: delivery, jamfProURL: url, reveal: true, canaryComputerID: consumer.canaryComputerID)
        let result = try await runner.run(applyCommand, input: payload.json(), context: CommandRunner.Context(delivery))
        guard result.succeeded else {
            var escaped = SecureText()
            escaped.append(.jsonEscapedSecret(delivery.value))
            throw RotationFailure.consumerFailed(
                runner.reportFailure(result, of: "the apply command for \(url)", redacting: [delivery.value, escaped.bytes()]))
        }
        return .done("the apply command applied secret \(keyID) to Jamf Pro at \(url)\(kept)")
    }

    /// Checks the integration through the Jamf Pro API where it can, else says what to check.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/verificationFailed(_:)`` when the canary's compliance
    ///   is not reported; API failures as ``JamfProClient`` reports them.
    public func verify(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        let url = client.baseURL.absoluteString
        guard let apiClient else {
            return .needsPerson(
                "check that Jamf Pro at \(url) saved \(JamfIntunePayload.formPath) without an error, and that the Intune admin center (Tenant administration > Connectors and tokens > Partner device management) shows the Jamf connection as Active with a sync after the change; give this consumer a Jamf Pro API client and a canary computer to have this checked automatically")
        }
        let token = try await client.token(for: apiClient)
        _ = try await client.deviceComplianceFeatureToggle(token: token)
        guard let canary = consumer.canaryComputerID else {
            return .needsPerson(
                "the Jamf Pro API at \(url) answers, but no canary computer is set, so the integration itself is unchecked: check that the Intune admin center shows the Jamf connection as Active with a sync after the change, or set a canary computer")
        }
        var entries: [ComplianceInformation] = []
        for poll in 1...canaryPolls {
            // A fresh token each time: polls may outlast one (Jamf Pro tokens cannot be renewed).
            let current = poll == 1 ? token : try await client.token(for: apiClient)
            entries = try await client.complianceInformation(computerID: canary, token: current)
            if let reported = entries.first(where: \.isReported) {
                let vendor = reported.complianceVendor.map { " from \(Self.quoted($0))" } ?? ""
                return .done("canary computer \(canary) on \(url) reports \(reported.complianceState)\(vendor) with secret \(delivery.credential.keyID) in place")
            }
            if poll < canaryPolls { try await JamfProClient.pause(canaryInterval) }
        }
        throw RotationFailure.verificationFailed(Self.explainUnreported(entries, canary: canary, url: url))
    }

    /// Why the canary's compliance does not count as reported, and what to do.
    static func explainUnreported(_ entries: [ComplianceInformation], canary: String, url: String) -> String {
        if entries.isEmpty {
            return "Jamf Pro at \(url) has no compliance information for canary computer \(canary): the integration is not exchanging data with Intune; check the settings saved in \(JamfIntunePayload.formPath) and the secret entered there"
        }
        if !entries.contains(where: \.applicable) {
            return "canary computer \(canary) on \(url) is not in scope for compliance (applicable: false): choose a Mac that Intune evaluates"
        }
        let states = Set(entries.filter(\.applicable).map(\.complianceState))
        let state = states.count == 1 ? Self.quoted(states.first!) : "UNKNOWN"
        if state != "UNKNOWN" {
            return "canary computer \(canary) on \(url) reports compliance state \"\(state)\", which is not a reported state (COMPLIANT or NON_COMPLIANT), so the integration is not verified; check the integration in Jamf Pro and the Intune admin center, then verify again"
        }
        return "canary computer \(canary) on \(url) reports compliance state UNKNOWN: Intune has not evaluated it with the new settings; check that Jamf Pro accepted the secret on Save, then run `sudo jamf recon` on the Mac and verify again"
    }

    /// `text` as part of a file name: letters, digits, `.`, `_` and `-` only (anything else, `/`
    /// and control characters included, becomes `_`), at most 64 characters, never `.` or `..`.
    /// The key id comes from an issuer and the label from an import: neither may pick a directory.
    static func fileNamePart(_ text: String) -> String {
        let part = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }.prefix(64))
        return part.allSatisfy { $0 == "." } ? part.replacingOccurrences(of: ".", with: "_") : part
    }

    /// Text from Jamf Pro's answer (a state, a vendor name) as a message may quote it: cut short,
    /// control characters escaped.
    static func quoted(_ text: String) -> String {
        TerminalText.neutralised(String(text.prefix(64)))
    }

    /// Writes the redacted payload for `delivery` into `directory` (0600), returning its path.
    private func keepRedactedPayload(_ delivery: SecretDelivery, in directory: String) throws -> String {
        let redacted = JamfIntunePayload.update(
            delivery: delivery, jamfProURL: client.baseURL.absoluteString, reveal: false, canaryComputerID: consumer.canaryComputerID)
        let name = "jamf-intune-\(Self.fileNamePart(delivery.app.label))-\(Self.fileNamePart(delivery.credential.keyID)).json"
        let path = (directory as NSString).appendingPathComponent(name)
        do {
            try PrivateFile.makeDirectory(directory)
            try PrivateFile.write(redacted.json(), to: path)
        } catch {
            throw RotationFailure.consumerFailed("cannot keep the redacted payload: \(error)")
        }
        return path
    }
}

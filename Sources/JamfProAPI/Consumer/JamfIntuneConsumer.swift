import ClientSecrets
import CryptoPrimitives
import Foundation
import Hooks
import HTTPClient
import JamfPro
import Rotation

/// The consumer for Jamf Pro's macOS Intune integration (manual connection).
///
/// Deploy: builds the ``JamfIntunePayload`` for the new secret. With an apply command, the command
/// receives the revealed payload JSON on stdin (never in its arguments or environment; see
/// ``Hooks/CommandRunner``) and its exit status 0 means applied. Without one, a person must
/// enter the values in the Jamf Pro form, and deploy says how. Either way, when a payload directory
/// was given, the *redacted* payload is kept there (mode 0600) as a record of what was handed over.
///
/// Verify: with an API client, requests a token and reads the device-compliance feature toggle
/// (proving the API and the client's Conditional Access privileges). With a canary computer it
/// then waits, up to ``canaryWait``, for the canary to send an inventory report *newer than the
/// moment the apply command put the new secret in place* (`general.reportDate` of
/// `GET /api/v1/computers-inventory/{id}`), and requires its compliance information then to be
/// *reported*: an entry in scope (`applicable`) whose state is `COMPLIANT` or `NON_COMPLIANT`.
/// Non-compliant is accepted on purpose — it means Intune evaluated the Mac with data Jamf Pro
/// sent, which is what the secret is for. Jamf Pro keeps the last reported state, and the
/// compliance endpoint has no timestamp, so without a newer report nothing is proven: a stale
/// report is "not verified yet" (``Rotation/ConsumerOutcome/needsPerson(_:)``), never
/// verified. Without an apply command the moment the secret was entered is unknown, so verify
/// leaves it to the person who entered it. Without an API client, or without a canary, verify
/// tells a person what to check in Jamf Pro and in the Intune admin center.
public struct JamfIntuneConsumer: SecretConsumer {
    /// The consumer as the vault records it (target: the Jamf Pro URL).
    public let consumer: Consumer
    /// The Jamf Pro API client used to verify, if any (the consumer's ``ClientSecrets/Consumer/apiClient``).
    public let apiClient: JamfAPIClientCredentials?
    /// Where redacted payloads are kept, if anywhere.
    public let payloadDirectory: String?
    /// Runs the apply command.
    public let runner: CommandRunner
    /// Seconds verify waits for the canary to report after the new secret was applied (0: read
    /// once, do not wait).
    public let canaryWait: TimeInterval
    /// The longest pause between reads while waiting.
    public let canaryInterval: TimeInterval
    /// The Jamf Pro API.
    public let client: JamfProClient
    /// When apply commands put secrets in place.
    let applied: AppliedMoments

    /// The default ``canaryWait``: three minutes. A Mac sends inventory when `jamf recon` runs
    /// (a policy's inventory update, by default once a day), not on its own every few minutes, so
    /// waiting longer rarely helps; three minutes covers an apply command that also starts
    /// `jamf recon` on the canary, or a person running it, which takes one to two minutes.
    /// After that the app waits for the next run instead of holding the vault's lock.
    public static let defaultCanaryWait: TimeInterval = 180
    /// The default ``canaryInterval``: 15 seconds. Reads start a second apart and double up to
    /// it, so a report seconds after the apply is seen at once; sixteen reads in the default wait.
    public static let defaultCanaryInterval: TimeInterval = 15

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
        runner: CommandRunner = CommandRunner(), canaryWait: TimeInterval = defaultCanaryWait,
        canaryInterval: TimeInterval = defaultCanaryInterval, configuration: JamfProClient.Configuration = JamfProClient.Configuration()
    ) throws {
        guard consumer.kind == .jamfProIntune else {
            throw RotationFailure.misconfigured("a \(consumer.kind.rawValue) consumer is not a Jamf Pro Intune integration")
        }
        self.consumer = consumer
        self.apiClient = apiClient
        self.payloadDirectory = payloadDirectory
        self.runner = runner
        self.canaryWait = ServerSeconds.clamp(canaryWait, to: 0...86_400, fallback: Self.defaultCanaryWait)
        self.canaryInterval = ServerSeconds.clamp(canaryInterval, to: 0.01...3_600, fallback: Self.defaultCanaryInterval)
        self.client = try JamfProClient(url: consumer.target, configuration: configuration)
        self.applied = AppliedMoments(directory: payloadDirectory)
    }

    /// `jamf-pro-intune <URL>`.
    public var summary: String { "jamf-pro-intune \(client.baseURL.absoluteString)" }

    /// Hands the new secret to Jamf Pro through the apply command, or says what a person must do.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/consumerFailed(_:)`` when the apply command fails or
    ///   overstays (the message names the exit status and nothing the command printed, since it is
    ///   stored in the rotation journal; the output, scrubbed of the secret, is shown on stderr by
    ///   ``Hooks/CommandRunner/reportFailure(_:of:redacting:)``), or the payload cannot be kept.
    public func deploy(_ delivery: SecretDelivery) async throws -> ConsumerOutcome {
        // Jamf Pro's Intune integration takes a client secret; a certificate's value is its private key.
        guard delivery.credential.kind == .secret else {
            throw RotationFailure.misconfigured(
                "\(delivery.app.label)'s new credential is a certificate, and Jamf Pro's Intune integration takes a client secret: give the app a secret (`secrets secret add \(delivery.app.label)`)")
        }
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
        // Taken after the command succeeded: never earlier than the moment Jamf Pro got the secret.
        do {
            try applied.record(Date(), label: delivery.app.label, keyID: keyID)
        } catch {
            throw RotationFailure.consumerFailed("cannot record when the secret was applied: \(error)")
        }
        return .done("the apply command applied secret \(keyID) to Jamf Pro at \(url)\(kept)")
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

import ClientSecrets
import CryptoPrimitives
import Dispatch
import Foundation
import Rotation

/// The issuer for apps whose secrets a person makes in a portal: `rotate` asks for the new
/// secret (no-echo prompt, or stdin), its key id and its expiry; retiring tells the person which
/// key id to delete and waits for them to confirm it.
package struct ManualIssuer: Issuer {
    /// What the person gave on the command line, so a run needs no prompts.
    package struct Input: Sendable {
        /// The new secret's key id (`rotate --key-id`).
        package var keyID: String?
        /// The new secret's expiry (`rotate --expires`).
        package var expires: Date?
        /// Read the value from stdin instead of a prompt.
        package var valueFromStandardInput: Bool
        /// Key ids the person says they deleted in the portal (`--confirm-removed`).
        package var confirmedRemoved: Set<String>

        package init(keyID: String?, expires: Date?, valueFromStandardInput: Bool, confirmedRemoved: Set<String>) {
            self.keyID = keyID
            self.expires = expires
            self.valueFromStandardInput = valueFromStandardInput
            self.confirmedRemoved = confirmedRemoved
        }
    }

    let app: App
    let input: Input

    package init(app: App, input: Input) {
        self.app = app
        self.input = input
    }

    /// The settings of a run whose manual apps are asked about with `input`.
    static func run(_ input: Input, tuning: RotationTuning = RotationTuning()) -> RotationRunSettings {
        RotationRunSettings(
            manualIssuer: { app in ManualIssuer(app: app, input: input) }, tuning: tuning,
            environment: ProcessInfo.processInfo.environment)
    }
    /// Prompts of concurrent rotations take turns on the one terminal, on a thread of their own:
    /// a person's typing must not hold one of the few threads every other rotation runs on.
    private static let terminal = DispatchQueue(label: "secrets.manual-issuer.terminal")

    private static func onTerminal<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            terminal.async { continuation.resume(with: Result { try body() }) }
        }
    }

    package var keepsPreviousSecret: Bool { true }

    package func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        let app = app, input = input
        return try await Self.onTerminal {
            let label = app.label
            let value: SecureBytes
            if input.valueFromStandardInput {
                value = try Terminal.readValue(path: "-")
            } else if let typed = try Terminal.readHidden(prompt: """
                \(label) is due for a new secret. In the portal, add a client secret to app \(app.appID) \
                (description "\(request.displayName)", expiring \(DateParser.format(request.expires))), then paste its value: 
                """) {
                value = typed
            } else {
                throw RotationFailure.needsPerson(
                    "\(label) uses a manual issuer: run `secrets rotate \(label)` on a terminal, or pipe the new secret to `secrets rotate \(label) --key-id GUID --expires DATE`")
            }
            guard value.count > 0 else {
                throw RotationFailure.needsPerson(
                    "\(label) is due and uses a manual issuer, but no secret was given: run `secrets rotate \(label)` on a terminal, or pipe the new secret to it with --key-id")
            }
            var keyID = input.keyID
            if keyID == nil, !input.valueFromStandardInput {
                keyID = try Terminal.readHidden(prompt: "Its secret ID (key id, a GUID) as the portal shows it: ")
                    .map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespaces) }
            }
            guard let keyID, Validation.isGUID(keyID) else {
                throw RotationFailure.misconfigured("the new secret of \(label) needs its key id (a GUID): pass --key-id")
            }
            return IssuedSecret(keyID: keyID, value: value, expires: input.expires ?? request.expires, displayName: request.displayName)
        }
    }

    package func removeSecret(keyID: String) async throws {
        if input.confirmedRemoved.contains(keyID.lowercased()) { return }
        let app = app
        try await Self.onTerminal {
            let instruction = "delete the client secret with key id \(keyID) of \(app.label) (\(app.appID)) in the portal"
            guard let typed = try Terminal.readHidden(prompt: "Please \(instruction), then type its key id to confirm: ") else {
                throw RotationFailure.needsPerson(
                    "\(instruction), then run `secrets rotate \(app.label) --confirm-removed \(keyID)`")
            }
            let text = typed.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespaces).lowercased()
            guard text == keyID.lowercased() else {
                throw RotationFailure.needsPerson("the key id typed did not match; \(instruction) and run `secrets rotate \(app.label)` again")
            }
        }
    }

    /// A person deletes it in the portal: the history says so, not that this program removed it.
    package func removeSecretReporting(keyID: String) async throws -> SecretRemoval {
        try await removeSecret(keyID: keyID)
        return .removedByPerson
    }

    package func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] { [] }

    package func verify(keyID: String, value: SecureBytes) async throws -> String {
        "not checked: a secret typed in by a person cannot be verified by this program; the consumer's own test (Jamf Pro tests on Save) is the check"
    }
}

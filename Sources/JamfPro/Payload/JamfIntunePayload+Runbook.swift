import ClientSecrets
import CryptoPrimitives
import Foundation

extension JamfIntunePayload {
    /// The payload as text a person follows: what it is for, the values, numbered steps, checks
    /// and notes. Holds the client secret exactly when ``json()`` does, hence wiped storage.
    ///
    /// Every value from the vault (label, URL, tenant, hint, and the steps and notes that quote
    /// them) is neutralised (see `TerminalText`): the runbook is meant to be read with `cat` or
    /// `less`, and an escape sequence in an imported label must not act on that terminal.
    public func runbook() -> SecureBytes {
        let safe = TerminalText.neutralised
        let appLabel = safe(self.appLabel), jamfProURL = safe(self.jamfProURL)
        var text = SecureText()
        switch action {
        case .update:
            text.append("Jamf Pro macOS Intune integration: switch \"\(appLabel)\" to secret \(safe(credential?.keyID ?? "?"))\n")
        case .disconnect:
            text.append("Jamf Pro macOS Intune integration: disconnect \"\(appLabel)\"\n")
        }
        text.append("Jamf Pro: \(jamfProURL)\nGenerated: \(OrderedJSON.format(generatedAt))\n\n")

        text.append("Values (in the order of the form)\n")
        let rows: [(String, String)] = [
            ("Enable Intune Integration for macOS", settings.enabled ? "selected" : "cleared"),
            ("Connection Type", "Manual"),
            ("Sovereign Cloud", safe(settings.sovereignCloud)),
            ("Microsoft Entra tenant name", safe(settings.tenantName)),
            ("Application ID", safe(settings.applicationID)),
        ]
        let width = 38
        for (label, value) in rows {
            text.append("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + value + "\n")
        }
        text.append("  " + "Client Secret".padding(toLength: width, withPad: " ", startingAt: 0))
        if let secret = settings.clientSecret {
            text.append(.secret(secret))
            text.append("\n")
        } else if settings.clientSecretRedacted {
            text.append("(redacted: `secrets jamf payload \(appLabel) --reveal --format text` shows it)\n")
        } else {
            text.append("(leave as it is)\n")
        }
        if let credential {
            let expires = credential.expires.map { OrderedJSON.format($0) } ?? "never"
            text.append("  " + "Secret".padding(toLength: width, withPad: " ", startingAt: 0)
                + "\(safe(credential.keyID)), starts \"\(safe(credential.hint))\", expires \(expires)\n")
        }

        text.append("\nSteps\n")
        for (index, step) in steps.enumerated() { text.append("  \(index + 1). \(safe(step))\n") }
        text.append("\nCheck\n")
        for check in verify { text.append("  - \(safe(check))\n") }
        if !notes.isEmpty {
            text.append("\nNotes\n")
            for note in notes { text.append("  - \(safe(note))\n") }
        }
        return text.bytes()
    }
}

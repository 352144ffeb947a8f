import ClientSecrets
import Foundation

/// The texts of `steps`, `verify` and `notes`: what a person does in the Jamf Pro form (labels as
/// the form shows them) and how they can tell it worked.
extension JamfIntunePayload {
    /// Where the form is, the same for every action.
    /// Microsoft's current Intune pages name it "Settings > Global > Conditional Access"; older Jamf
    /// Pro versions say "Global Management".
    package static let formPath = "Settings > Global > Conditional Access > macOS Intune Integration"

    func updateSteps() -> [String] {
        let secretStep: String
        if revealsSecret {
            secretStep = "Client Secret (older Jamf Pro versions: \"Application Key\"): replace the value with the client secret given here (settings.clientSecret in the JSON): secret \(credential?.keyID ?? "?"), starting \"\(credential?.hint ?? "")\"."
        } else {
            secretStep = "Client Secret (older Jamf Pro versions: \"Application Key\"): replace the value with secret \(credential?.keyID ?? "?") (starting \"\(credential?.hint ?? "")\"); this document is redacted, get the value with `secrets jamf payload \(appLabel) --reveal`."
        }
        return [
            "Sign in to Jamf Pro at \(jamfProURL) with an account that has the Conditional Access privileges.",
            "Go to \(Self.formPath) and click Edit.",
            "Enable Intune Integration for macOS: make sure the checkbox is selected.",
            "Connection Type: Manual.",
            "Sovereign Cloud: \(settings.sovereignCloud).",
            "Microsoft Entra tenant name: \(settings.tenantName).",
            "Application ID: \(settings.applicationID).",
            secretStep,
            "Leave the form's other controls as they are (such as \"Open administrator consent URL\", which grants the Jamf app its permissions once and has nothing to do with the secret).",
            "Click Save. Jamf Pro tests the connection to Microsoft Intune with these settings before it keeps them.",
        ]
    }

    func updateChecks(canaryComputerID: String?) -> [String] {
        var checks = [
            "After Save, Jamf Pro shows no error. \"Could not retrieve the access token for Microsoft Graph API\" or \"Unable to connect to Microsoft Intune\" means a value is wrong or the new secret has not reached every Entra ID server yet: wait a minute and save again.",
            "In the Microsoft Intune admin center, Tenant administration > Connectors and tokens > Partner device management shows the Jamf connection as Active, with a last sync after the change.",
            "On a Mac managed by Jamf Pro, run `sudo jamf recon`; in Jamf Pro, the computer's inventory shows a current Intune compliance state under Conditional Access.",
        ]
        if let canaryComputerID {
            checks.append("`secrets` checks computer \(canaryComputerID)'s compliance information through the Jamf Pro API: it must be reported with a state other than UNKNOWN.")
        }
        if let previous {
            let when = previous.retireAfter.map { " until \(OrderedJSON.format($0))" } ?? ""
            checks.append("The previous secret \(previous.keyID) stays valid\(when) so nothing breaks while the change is applied; `secrets` removes it after that.")
        }
        return checks
    }

    func disconnectSteps() -> [String] {
        [
            "Sign in to Jamf Pro at \(jamfProURL) with an account that has the Conditional Access privileges.",
            "Go to \(Self.formPath) and click Edit.",
            "Enable Intune Integration for macOS: clear the checkbox. Microsoft no longer accepts new Conditional Access configurations, so once turned off the integration probably cannot be turned on or re-created again: migrate to Jamf Pro's Device Compliance integration (Settings > Global > Device Compliance) first.",
            "Click Save.",
        ]
    }

    func disconnectChecks() -> [String] {
        [
            "In the Microsoft Intune admin center, Tenant administration > Connectors and tokens > Partner device management shows the Jamf connection as Terminated.",
            "Macs managed by Jamf Pro stop reporting compliance to Intune: Conditional Access policies that require a compliant device block them (unless they are excluded or reported by Device Compliance), and Intune removes Macs that have not reported for about 90 days.",
        ]
    }

    func commonNotes(app: App) -> [String] {
        var notes: [String] = []
        if Validation.isGUID(app.tenant) {
            notes.append("This app's tenant is stored as its GUID (\(app.tenant)); the Jamf Pro form asks for the tenant name: enter the tenant's primary domain (such as contoso.onmicrosoft.com) instead.")
        }
        if app.cloud == .usgovDoD {
            notes.append("The app is in Azure Government DoD; Jamf Pro's Sovereign Cloud menu offers one US Government entry for both GCC High and DoD.")
        }
        notes.append("No Jamf Pro API writes these settings: they are entered in the form, by a person or by an apply command that receives this document on stdin.")
        notes.append("Microsoft has deprecated Jamf's macOS Conditional Access integration (manual connection and Cloud Connector alike) and accepts no new configurations of it; its replacement is Jamf Pro's Device Compliance integration (Settings > Global > Device Compliance), whose wizard creates its own Entra ID apps, so no client secret is left to rotate. Until you have moved, keep this secret current.")
        return notes
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// Made-up values the hook tests deliver: the app and credential of one rotation.
enum Sample {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let appID = "6f1c3a52-8a0e-4a1b-9c55-0f3e2d9b7a10"
    static let keyID = "2c8e4b1a-0d6f-4e57-a3b9-5f7c1e9d2a44"
    /// A secret with characters a shell or JSON would mangle, so "exact bytes" means something.
    static let secretText = #"Zq8~T"x\Kd/3mP.vR_7eLw-9yHc2sNfA"#

    static func value(_ text: String = secretText) -> SecureBytes { SecureBytes(copying: Array(text.utf8)) }

    static func delivery(value: String = secretText, rotationID: String? = "rotation-1") -> SecretDelivery {
        let app = App(label: "jamf-intune", appID: appID, tenant: "contoso.onmicrosoft.com", cloud: .global, issuer: .entraID)
        let credential = Credential(
            keyID: keyID, hint: String(secretText.prefix(3)), created: now, validFrom: now,
            expires: now.addingTimeInterval(180 * 86_400), state: .current, displayName: "secrets:rotation-1")
        return SecretDelivery(app: app, credential: credential, value: self.value(value), previous: nil, rotationID: rotationID)
    }
}

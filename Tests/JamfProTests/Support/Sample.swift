import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// Fixed times and made-up values the tests build payloads and deliveries from.
enum Sample {
    /// A fixed "now" (2027-01-15T08:00:00Z), so generated documents are exact.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400
    static let appID = "6f1c3a52-8a0e-4a1b-9c55-0f3e2d9b7a10"
    static let tenant = "contoso.onmicrosoft.com"
    static let keyID = "2c8e4b1a-0d6f-4e57-a3b9-5f7c1e9d2a44"
    static let previousKeyID = "9a7b5c3d-1e2f-4a6b-8c0d-e1f2a3b4c5d6"
    /// A secret with characters JSON must escape, so escaping is exercised everywhere.
    static let secretText = #"Zq8~T"x\Kd/3mP.vR_7eLw-9yHc2sNfA"#

    static func app(cloud: Cloud = .global, tenant: String = Sample.tenant, consumers: [Consumer] = []) -> App {
        App(label: "jamf-intune", appID: appID, tenant: tenant, cloud: cloud, issuer: .entraID, consumers: consumers)
    }

    static func credential(expiresInDays days: Double = 180) -> Credential {
        Credential(
            keyID: keyID, hint: String(secretText.prefix(3)), created: now, validFrom: now, expires: now.addingTimeInterval(days * day),
            state: .current, displayName: "secrets:rotation-1")
    }

    static func previous() -> Credential {
        Credential(
            keyID: previousKeyID, hint: "old", created: now.addingTimeInterval(-170 * day), validFrom: now.addingTimeInterval(-170 * day),
            expires: now.addingTimeInterval(10 * day), state: .previous, retireAfter: now.addingTimeInterval(7 * day))
    }

    static func value(_ text: String = secretText) -> SecureBytes { SecureBytes(copying: Array(text.utf8)) }

    static func text(_ bytes: SecureBytes) -> String { bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    static func delivery(app: App = app(), value: String = secretText, rotationID: String? = "rotation-1") -> SecretDelivery {
        SecretDelivery(app: app, credential: credential(), value: self.value(value), previous: previous(), rotationID: rotationID)
    }

    /// The repository's root, found from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
}

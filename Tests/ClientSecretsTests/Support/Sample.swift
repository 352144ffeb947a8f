import CryptoPrimitives
import Foundation

@testable import ClientSecrets

/// Fixed times and made-up values the tests build vaults from.
enum Sample {
    /// A fixed "now" (2027-01-15T08:00:00Z), so expiries and audit times are exact.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    /// `now` moved by `days` days.
    static func at(days: Double) -> Date { now.addingTimeInterval(days * day) }

    /// A new random GUID, lowercased as the vault stores it.
    static func guid() -> String { UUID().uuidString.lowercased() }

    /// An app that Entra ID rotates with `rotator`: one the vault manages.
    static func managedApp(_ label: String, rotator: String) -> App {
        var app = Sample.app(label)
        app.issuer = .entraID
        app.rotator = rotator
        return app
    }

    /// An app with a valid app ID and tenant unless given others.
    static func app(
        _ label: String, appID: String = guid(), tenant: String = "contoso.onmicrosoft.com",
        policy: RotationPolicy = .default, notes: String = ""
    ) -> App {
        App(label: label, appID: appID, tenant: tenant, policy: policy, notes: notes)
    }

    /// A secret value in wiped storage.
    static func value(_ text: String) -> SecureBytes { SecureBytes(copying: Array(text.utf8)) }

    /// The text of a secret value.
    static func text(_ value: SecureBytes) -> String {
        value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

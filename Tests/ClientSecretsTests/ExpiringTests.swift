import Age
import Foundation
import Testing

@testable import ClientSecrets

@Suite("Expiring credentials")
struct ExpiringTests {
    /// A vault whose credentials expire at many different times, relative to ``Sample/now``.
    struct Scenario {
        let harness: VaultHarness
        let vault: Vault
        let reader: X25519Identity
        /// Key IDs by what they are.
        var keys: [String: String] = [:]

        init() throws {
            (harness, vault) = try VaultHarness.make()
            reader = try X25519Identity.generate()
            try vault.addRecipient(reader.recipient, role: .reader, name: "monitoring", now: Sample.now)
            try vault.addApp(Sample.app("Alpha"), now: Sample.now)
            try vault.addApp(Sample.app("beta"), now: Sample.now)
            try vault.addApp(Sample.app("Gamma"), now: Sample.now)
            func add(_ name: String, to app: String, days: Double?, state: CredentialState, created: Double = -100) throws {
                let record = try vault.addSecret(
                    to: app, value: Sample.value("value of \(name)"), expires: days.map(Sample.at(days:)), state: state,
                    now: Sample.at(days: created))
                keys[name] = record.credential.keyID
            }
            try add("alpha expired", to: "Alpha", days: -5, state: .previous)
            try add("alpha in 20 days", to: "Alpha", days: 20, state: .current)
            try add("beta in 10 days", to: "beta", days: 10, state: .current)
            try add("beta in 40 days", to: "beta", days: 40, state: .pending)
            try add("beta pending in 30 days", to: "beta", days: 30, state: .pending)
            try add("gamma no expiry", to: "Gamma", days: nil, state: .current)
            try add("gamma just outside", to: "Gamma", days: 30 + 1 / Sample.day, state: .pending)
            try add("gamma expired long ago", to: "Gamma", days: -400, state: .previous)
            // A retired credential (only an import can record one) is history, never reported.
            let retired = Credential(
                keyID: Sample.guid(), hint: "old", created: Sample.at(days: -300), validFrom: Sample.at(days: -300),
                expires: Sample.at(days: -3), state: .retired)
            keys["alpha retired"] = retired.keyID
            let alpha = try vault.app("Alpha").app
            let document = ExportDocument(
                exportedAt: Sample.now, vaultID: vault.vaultID,
                apps: [ExportedApp(app: alpha, credentials: [ExportedCredential(retired, value: nil)])])
            let summary = try vault.importDocument(document, now: Sample.now)
            guard summary.credentialsAdded == 1 else { throw TestSupportError("the retired credential was not imported: \(summary)") }
        }

        func keyIDs(_ names: [String]) -> [String] { names.map { keys[$0]! } }
    }

    @Test("expired and soon-expiring credentials come back soonest first; retired and later ones do not")
    func window() throws {
        let scenario = try Scenario()
        defer { scenario.harness.remove() }
        let result = try scenario.vault.expiring(within: 30 * Sample.day, now: Sample.now)
        #expect(result.map(\.credential.keyID) == scenario.keyIDs([
            "gamma expired long ago", "alpha expired", "beta in 10 days", "alpha in 20 days", "beta pending in 30 days",
        ]))
        #expect(result.map(\.app.label) == ["Gamma", "Alpha", "beta", "Alpha", "beta"])
        #expect(result.map { $0.credential.daysLeft(at: Sample.now) } == [-400, -5, 10, 20, 30])
        #expect(result.allSatisfy { $0.credential.state != .retired })
        #expect(zip(result, result.dropFirst()).allSatisfy { ($0.credential.expires!) <= ($1.credential.expires!) })
    }

    @Test("the window and the reference time decide what is due")
    func otherWindows() throws {
        let scenario = try Scenario()
        defer { scenario.harness.remove() }
        let vault = scenario.vault
        #expect(try vault.expiring(within: 0, now: Sample.now).map(\.credential.keyID)
            == scenario.keyIDs(["gamma expired long ago", "alpha expired"]))
        #expect(try vault.expiring(within: 45 * Sample.day, now: Sample.now).map(\.credential.keyID)
            == scenario.keyIDs([
                "gamma expired long ago", "alpha expired", "beta in 10 days", "alpha in 20 days", "beta pending in 30 days",
                "gamma just outside", "beta in 40 days",
            ]))
        // Seen from 450 days earlier, nothing is due within 30 days; within 60, the one expiring on day -400 is.
        #expect(try vault.expiring(within: 30 * Sample.day, now: Sample.at(days: -450)).isEmpty)
        #expect(try vault.expiring(within: 60 * Sample.day, now: Sample.at(days: -450)).map(\.credential.keyID)
            == scenario.keyIDs(["gamma expired long ago"]))
    }

    @Test("each entry says its custody: held when the vault holds a person-rotated value, monitored when it does not or the app is only monitored, managed when rotation manages it")
    func custody() throws {
        let scenario = try Scenario()
        defer { scenario.harness.remove() }
        let vault = scenario.vault
        // Alpha is rotated by a person; a second credential of it is known without its value.
        let alpha = try vault.app("Alpha").app
        let unheld = Credential(
            keyID: Sample.guid(), hint: "unh", created: Sample.at(days: -10), validFrom: Sample.at(days: -10),
            expires: Sample.at(days: 15), state: .pending)
        let document = ExportDocument(
            exportedAt: Sample.now, vaultID: vault.vaultID,
            apps: [ExportedApp(app: alpha, credentials: [ExportedCredential(unheld, value: nil)])])
        #expect(try vault.importDocument(document, now: Sample.now).credentialsAdded == 1)
        try vault.addApp(App(label: "Delta", appID: Sample.guid(), tenant: "contoso.onmicrosoft.com", monitored: true), now: Sample.now)
        let monitored = try vault.addSecret(to: "Delta", value: Sample.value("delta"), expires: Sample.at(days: 12), state: .current, now: Sample.now)
        try vault.addApp(App(label: "Epsilon", appID: Sample.guid(), tenant: "contoso.onmicrosoft.com", issuer: .entraID), now: Sample.now)
        let managed = try vault.addSecret(to: "Epsilon", value: Sample.value("epsilon"), expires: Sample.at(days: 8), state: .current, now: Sample.now)
        let expected: [String: CredentialCustody] = [
            scenario.keys["alpha in 20 days"]!: .held, scenario.keys["beta in 10 days"]!: .held,
            unheld.keyID: .monitored, monitored.credential.keyID: .monitored, managed.credential.keyID: .managed,
        ]
        for identity in [nil, scenario.reader] {
            let view = try identity.map { try scenario.harness.open([$0]) } ?? vault
            let listed = try view.expiring(within: 30 * Sample.day, now: Sample.now)
            let custody = Dictionary(listed.map { ($0.credential.keyID, $0.custody) }, uniquingKeysWith: { first, _ in first })
            for (keyID, want) in expected {
                #expect(custody[keyID] == want, "\(keyID) as \(identity == nil ? "admin" : "reader")")
            }
        }
    }

    @Test("a reader identity sees the same expiring credentials")
    func reader() throws {
        let scenario = try Scenario()
        defer { scenario.harness.remove() }
        let asAdmin = try scenario.vault.expiring(within: 30 * Sample.day, now: Sample.now)
        let reader = try scenario.harness.open([scenario.reader])
        #expect(reader.role == .reader)
        let asReader = try reader.expiring(within: 30 * Sample.day, now: Sample.now)
        #expect(asReader.count == 5)
        #expect(asReader == asAdmin)
    }

    @Test("an empty vault has nothing expiring")
    func empty() throws {
        let (harness, vault) = try VaultHarness.make()
        defer { harness.remove() }
        try vault.addApp(Sample.app("lonely"), now: Sample.now)
        #expect(try vault.expiring(within: 3650 * Sample.day, now: Sample.now).isEmpty)
    }
}

import ClientSecrets
import CryptoPrimitives
import Emulators
import Foundation
@testable import EntraID

/// An Entra ID emulator with a rotator and one app it owns, and the issuer of that app.
struct EntraFixture {
    static let tenant = "contoso.onmicrosoft.com"
    static let ownedBy = "Application.ReadWrite.OwnedBy"

    let emulator: EntraEmulator
    let url: URL
    let rotatorID: String
    let rotatorSecret: String
    let appID: String
    let app: App
    let endpoints: EntraEndpoints
    let session: GraphSession

    /// A session that gives up quickly: short timeouts, short backoffs.
    static func fastSession(
        timeout: Duration = .seconds(2), attempts: Int = 5, initialBackoff: Duration = .milliseconds(50),
        maximumRetryAfter: Duration = .seconds(5)
    ) -> GraphSession {
        GraphSession(configuration: .init(
            requestTimeout: timeout,
            retry: RetryPolicy(
                maximumAttempts: attempts, maximumTotalTime: .seconds(15), initialBackoff: initialBackoff,
                maximumBackoff: .milliseconds(400), maximumRetryAfter: maximumRetryAfter, jitter: 0
            )
        ))
    }

    /// Starts an emulator and seeds it: the rotator holds `rotatorRoles` and owns the app when `owner`.
    static func start(
        configuration: EntraEmulator.Configuration = .init(replicationDelay: .zero),
        rotatorRoles: [String] = [ownedBy], owner: Bool = true, session: GraphSession = fastSession(),
        cloud: Cloud = .global
    ) async throws -> EntraFixture {
        let emulator = EntraEmulator(configuration: configuration)
        let url = try await emulator.start()
        let rotatorID = UUID().uuidString.lowercased()
        let appID = UUID().uuidString.lowercased()
        await emulator.registerApplication(appID: rotatorID, displayName: "secrets-rotator", roles: rotatorRoles)
        await emulator.registerApplication(appID: appID, displayName: "jamf-intune", owners: owner ? [rotatorID] : [])
        let rotatorSecret = "rot8Q~" + String(repeating: "R", count: 28) + "x1y2z3"
        await emulator.addSecret(appID: rotatorID, value: rotatorSecret, displayName: "rotator", expires: Date().addingTimeInterval(86_400))
        let environment = [EntraEndpoints.loginVariable: url.absoluteString, EntraEndpoints.graphVariable: url.absoluteString]
        return EntraFixture(
            emulator: emulator, url: url, rotatorID: rotatorID, rotatorSecret: rotatorSecret, appID: appID,
            app: App(label: "jamf-intune", appID: appID, tenant: tenant, cloud: cloud, issuer: .entraID, rotator: "secrets-rotator"),
            endpoints: try EntraEndpoints(cloud: cloud, environment: environment),
            session: session
        )
    }

    /// Runs `body` with a started fixture and stops the emulator afterwards.
    static func with<T>(
        configuration: EntraEmulator.Configuration = .init(replicationDelay: .zero),
        rotatorRoles: [String] = [ownedBy], owner: Bool = true, session: GraphSession = fastSession(),
        cloud: Cloud = .global, _ body: (EntraFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(configuration: configuration, rotatorRoles: rotatorRoles, owner: owner, session: session, cloud: cloud)
        do {
            let result = try await body(fixture)
            await fixture.emulator.stop()
            return result
        } catch {
            await fixture.emulator.stop()
            throw error
        }
    }

    /// The issuer of the fixture's app (or of `app`), acting as the rotator with `rotatorSecret`.
    func issuer(
        app: App? = nil, rotatorSecret: String? = nil, verification: VerificationPolicy = .standard
    ) -> EntraIDIssuer {
        EntraIDIssuer(
            app: app ?? self.app, rotatorClientID: rotatorID,
            rotatorSecret: SecureBytes(copying: Array((rotatorSecret ?? self.rotatorSecret).utf8)),
            endpoints: endpoints, session: session, verification: verification
        )
    }

    /// Recorded requests of `operation`.
    func requests(_ operation: EntraOperation) async -> [RecordedRequest] {
        await emulator.requests().filter { $0.operation == operation }
    }
}

extension SecureBytes {
    /// The bytes as text (tests only).
    var text: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// The failure `body` throws, or `nil` when it throws nothing (or something else).
func rotationFailure(_ body: () async throws -> Void) async -> RotationFailure? {
    do {
        try await body()
        return nil
    } catch let failure as RotationFailure {
        return failure
    } catch {
        return nil
    }
}

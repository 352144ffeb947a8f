import Emulators
import Foundation
import JamfPro
import JamfProAPI

/// Runs a body against a fresh Jamf Pro emulator and always stops it.
enum EmulatorHarness {
    static let clientID = "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0"
    static let clientSecret = "initial-api-client-secret"
    static let integrationID = "7"
    static let canary = "42"

    /// A client configuration that keeps failing tests fast.
    static let quick = JamfProClient.Configuration(
        requestTimeout: 2, maximumAttempts: 3, initialBackoff: 0.05, maximumBackoff: 0.2, maximumRetryAfter: 5,
        verificationAttempts: 2, verificationDelay: 0.05)

    static func withEmulator<T>(
        validator: JamfProEmulator.SecretValidator? = nil, _ body: (JamfProEmulator, URL) async throws -> T
    ) async throws -> T {
        let emulator = JamfProEmulator(secretValidator: validator)
        let url = try await emulator.start()
        await emulator.registerAPIClient(clientID: clientID, secret: clientSecret, integrationID: integrationID)
        await emulator.addComputer(id: canary)
        do {
            let result = try await body(emulator, url)
            await emulator.stop()
            return result
        } catch {
            await emulator.stop()
            throw error
        }
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation
import JamfPro
import Rotation

/// Issues secrets for a Jamf Pro API client by regenerating its client credentials
/// (`POST /api/v1/api-integrations/{id}/client-credentials`).
///
/// Jamf Pro keeps one secret per API client: regenerating kills the previous one at once, so
/// there is no overlap (``keepsPreviousSecret`` is false) and every consumer must be updated right
/// after. The request authenticates with ``authenticating``: the client's own current credentials,
/// or those of another API client whose role may update API integrations (the app's rotator).
///
/// Jamf Pro has no key ids for client secrets, so each new secret gets a random UUID as its key id
/// in the vault. It is random rather than derived from the secret so that it says nothing about
/// the value (a hash of a weak secret could be guessed offline). A secret whose regeneration answer
/// was lost cannot be found again — nor does it need to be: the next regeneration kills it — so
/// ``secrets(markedWith:)`` returns nothing and ``removeSecret(keyID:)`` has nothing to do.
public struct JamfAPIClientIssuer: Issuer {
    /// The API client whose secret is rotated (its client ID, a GUID).
    public let clientID: String
    /// The API integration's id on the Jamf Pro server.
    public let integrationID: String
    /// Who asks Jamf Pro for the new secret.
    public let authenticating: JamfAPIClientCredentials
    /// The Jamf Pro API.
    public let client: JamfProClient

    /// Creates the issuer.
    ///
    /// - Parameters:
    ///   - settings: the Jamf Pro URL and the integration id (``ClientSecrets/App/jamfProIssuer``).
    ///   - clientID: the client ID of the API client being rotated (the app's app ID).
    ///   - authenticating: credentials allowed to regenerate it (its own current ones, or a rotator's).
    /// - Throws: ``ClientSecrets/RotationFailure/misconfigured(_:)`` for a URL or id that is not acceptable.
    public init(
        settings: JamfProIssuerSettings, clientID: String, authenticating: JamfAPIClientCredentials,
        configuration: JamfProClient.Configuration = JamfProClient.Configuration()
    ) throws {
        try JamfProClient.requireNumericID(settings.integrationID, what: "API integration id")
        self.client = try JamfProClient(url: settings.url, configuration: configuration)
        self.clientID = clientID.lowercased()
        self.integrationID = settings.integrationID
        self.authenticating = authenticating
    }

    /// Always false: the old secret dies when the new one is made.
    public var keepsPreviousSecret: Bool { false }

    /// Regenerates the client's credentials and returns the new secret under a new random key id.
    ///
    /// `expires` is the request's date: Jamf Pro does not expire client secrets itself, so the date
    /// is when the policy wants the next rotation, which keeps `secrets expiring` meaningful.
    /// - Throws: ``ClientSecrets/RotationFailure`` — when the failure comes after the request may
    ///   have reached Jamf Pro, the message warns that the old secret may already be dead.
    public func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        let token = try await client.token(for: authenticating)
        // Regenerating kills the secret at once: make sure the integration is this app's client
        // before doing it, or a wrong integration id would break some other client.
        let owner = try await client.apiIntegrationClientID(integrationID: integrationID, token: token)
        guard owner == clientID else {
            throw RotationFailure.misconfigured(
                "Jamf Pro API integration \(integrationID) belongs to client \(Self.quoted(owner)), not \(clientID); nothing was regenerated. Fix it with `secrets app edit APP --jamf-integration-id ID`")
        }
        let issued: JamfAPIClientCredentials
        do {
            issued = try await client.regenerateClientCredentials(integrationID: integrationID, token: token)
        } catch let caught as RotationFailure where caught.code == .unavailable {
            let text = caught.reason
            throw RotationFailure.unavailable(
                "\(text). Jamf Pro may have regenerated the secret without the answer arriving, which kills the old one: run the rotation again (it regenerates once more) before anything else uses API client \(clientID)")
        }
        guard issued.clientID == clientID else {
            throw RotationFailure.unexpectedResponse(
                "Jamf Pro regenerated API integration \(integrationID) but named client \(Self.quoted(issued.clientID)), not \(clientID): check the integration id of this app")
        }
        // The value is checked by the rotation engine (``Rotation/IssuedSecretCheck``) like
        // every issuer's; the start is left to the vault's clock, as Jamf Pro says none.
        return IssuedSecret(
            keyID: UUID().uuidString.lowercased(), value: issued.clientSecret, validFrom: nil, expires: request.expires,
            displayName: request.displayName)
    }

    /// A client id from Jamf Pro's answer as a message may quote it: cut short, controls escaped.
    static func quoted(_ text: String) -> String {
        TerminalText.neutralised(String(text.prefix(64)))
    }

    /// Nothing to do: regenerating already killed every earlier secret.
    public func removeSecret(keyID: String) async throws {}

    /// Always empty: Jamf Pro cannot list an API client's secrets (see the type's description).
    public func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] { [] }

    /// Requests a token with the new secret, a few times if Jamf Pro has not shared it yet.
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/verificationFailed(_:)`` when every attempt is refused.
    public func verify(keyID: String, value: SecureBytes) async throws -> String {
        let credentials = JamfAPIClientCredentials(clientID: clientID, clientSecret: value)
        var attempt = 1
        while true {
            do {
                _ = try await client.token(for: credentials)
                return "Jamf Pro at \(client.host) issued a token to API client \(clientID) with secret \(keyID)"
            } catch let caught as RotationFailure where caught.code == .authenticationFailed {
                let text = caught.reason
                guard attempt < client.configuration.verificationAttempts else {
                    throw RotationFailure.verificationFailed("\(text) (\(attempt) attempts)")
                }
            }
            attempt += 1
            try await JamfProClient.pause(client.configuration.verificationDelay)
        }
    }
}

import CryptoPrimitives

/// An app's client ID and its current secret, as the vault holds them: what a service is
/// signed in to with (the Entra ID rotator at Graph's token endpoint, a Jamf Pro API client at
/// Jamf Pro's). Each service's client takes it in its own type.
public struct AppSecretCredential: Sendable {
    /// The app's client ID.
    public let clientID: String
    /// The app's current secret; wiped when the last copy is released.
    public let secret: SecureBytes

    /// Pairs a client ID with its secret.
    public init(clientID: String, secret: SecureBytes) {
        self.clientID = clientID
        self.secret = secret
    }
}

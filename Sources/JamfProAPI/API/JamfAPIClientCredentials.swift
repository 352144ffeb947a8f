import ClientSecrets
import CryptoPrimitives

/// A Jamf Pro API client's credentials (Settings > System > API Roles and Clients): what the
/// OAuth client-credentials grant takes.
public struct JamfAPIClientCredentials: Sendable {
    /// The client ID (a GUID Jamf Pro assigns).
    public var clientID: String
    /// The client secret.
    public var clientSecret: SecureBytes

    /// Creates credentials.
    public init(clientID: String, clientSecret: SecureBytes) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    /// The credentials of a Jamf Pro API client kept in the vault.
    public init(_ credential: AppSecretCredential) {
        self.init(clientID: credential.clientID, clientSecret: credential.secret)
    }
}

import CryptoPrimitives

/// A certificate credential with its private key, as the vault holds it: what an app signs a
/// client assertion with instead of sending a secret.
public struct SigningCertificate: Sendable {
    /// The credential's key ID in the vault (Entra ID's, once known).
    public let keyID: String
    /// The public certificate, as uploaded to the app registration.
    public let certificate: X509Certificate
    /// The private key; its bytes are wiped when the last copy is released.
    public let privateKey: RSAPrivateKey

    /// Pairs a certificate with its key; the caller has checked that they belong together.
    public init(keyID: String, certificate: X509Certificate, privateKey: RSAPrivateKey) {
        self.keyID = keyID
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// A certificate and its key, before the vault has a key ID for them.
    public struct Pair: Sendable {
        /// The certificate.
        public let certificate: X509Certificate
        /// Its private key.
        public let privateKey: RSAPrivateKey
    }
}

/// How an app signs in to its issuer: with its current secret, or with a certificate through a
/// client assertion.
public enum SignInCredential: Sendable {
    /// A client secret.
    case secret(SecureBytes)
    /// A certificate and its private key.
    case certificate(SigningCertificate)
}

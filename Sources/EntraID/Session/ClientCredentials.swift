import ClientSecrets
import CryptoPrimitives
import Foundation

/// An app's client id, tenant and what proves it is the app (a secret, or a certificate and its
/// key): what a client-credentials token request sends.
struct ClientCredentials: Sendable {
    var clientID: String
    var tenant: String
    var proof: SignInCredential

    init(clientID: String, tenant: String, proof: SignInCredential) {
        self.clientID = clientID
        self.tenant = tenant
        self.proof = proof
    }

    init(clientID: String, tenant: String, secret: SecureBytes) {
        self.init(clientID: clientID, tenant: tenant, proof: .secret(secret))
    }

    /// What no text from a server may repeat: the secret. A certificate's private key is never
    /// sent; its client assertions, which a server could echo, are JSON Web Tokens, which every
    /// scrub cuts out (``SecretScrubber``).
    var scrubbable: SecureBytes {
        switch proof {
        case .secret(let secret): return secret
        case .certificate: return SecureBytes(copying: [])
        }
    }

    /// Tells credentials apart in the token cache without holding a secret: the SHA-256 digest of
    /// the secret, or of the certificate.
    var proofDigest: [UInt8] {
        switch proof {
        case .secret(let secret): return (try? SHA256.hash(secret)) ?? []
        case .certificate(let signing): return (try? signing.certificate.sha256Thumbprint()) ?? []
        }
    }

    /// The form body of a token request for `scope` at the token endpoint `audience`, built byte
    /// by byte so that a secret is never a `String`. With a certificate, it carries a fresh client
    /// assertion (PS256, valid for 5 minutes) instead of a secret. The caller wipes it once the
    /// request is done.
    func tokenRequestBody(scope: String, audience: URL, now: Date = Date()) throws -> Data {
        var body = Data()
        body.reserveCapacity(1024)
        func append(_ name: String, _ value: some Sequence<UInt8>) {
            if !body.isEmpty { body.append(UInt8(ascii: "&")) }
            body.append(contentsOf: name.utf8)
            body.append(UInt8(ascii: "="))
            Self.formEncode(value, into: &body)
        }
        append("client_id", clientID.utf8)
        append("scope", scope.utf8)
        append("grant_type", "client_credentials".utf8)
        switch proof {
        case .secret(let secret):
            secret.withUnsafeBytes { append("client_secret", $0) }
        case .certificate(let signing):
            let assertion = try ClientAssertion.make(
                clientID: clientID, audience: audience, certificate: signing.certificate, key: signing.privateKey, now: now)
            append("client_assertion_type", ClientAssertion.type.utf8)
            append("client_assertion", assertion.utf8)
        }
        return body
    }

    /// Percent-encodes everything but the unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    static func formEncode(_ bytes: some Sequence<UInt8>, into body: inout Data) {
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                body.append(byte)
            default:
                body.append(UInt8(ascii: "%"))
                body.append(hex[Int(byte >> 4)])
                body.append(hex[Int(byte & 0x0F)])
            }
        }
    }
}

extension Data {
    /// Overwrites the bytes this value holds (best effort: copies made elsewhere are not reached).
    mutating func wipe() {
        withUnsafeMutableBytes { Cleanse.wipe($0) }
    }
}

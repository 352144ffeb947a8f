import CryptoPrimitives
import Foundation

/// An app's client id, tenant and secret: what a client-credentials token request sends.
struct ClientCredentials: Sendable {
    var clientID: String
    var tenant: String
    var secret: SecureBytes

    /// The SHA-256 digest of the secret: tells secrets apart in the token cache without holding one.
    var secretDigest: [UInt8] {
        (try? SHA256.hash(secret)) ?? []
    }

    /// The form body of a token request for `scope`, built byte by byte so that the secret is
    /// never a `String`. The caller wipes it once the request is done.
    func tokenRequestBody(scope: String) -> Data {
        var body = Data()
        body.reserveCapacity(128 + secret.count * 3)
        func append(_ name: String, _ value: some Sequence<UInt8>) {
            if !body.isEmpty { body.append(UInt8(ascii: "&")) }
            body.append(contentsOf: name.utf8)
            body.append(UInt8(ascii: "="))
            Self.formEncode(value, into: &body)
        }
        append("client_id", clientID.utf8)
        append("scope", scope.utf8)
        append("grant_type", "client_credentials".utf8)
        secret.withUnsafeBytes { append("client_secret", $0) }
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

import CryptoPrimitives

/// The sealed value of a certificate credential: the certificate's PEM followed by its private
/// key's PEM (PKCS #8), the form curl, openssl and MSAL read. Self-contained, so that whatever
/// receives the value (a rotation's verification, an export, a consumer) has both halves.
public enum CertificateBundle {
    /// The bundle of `certificate` and `key`, in wiped storage.
    public static func encode(certificate: X509Certificate, key: RSAPrivateKey) -> SecureBytes {
        let head = Array(certificate.pem.utf8)
        let tail = key.pemEncoded()
        return SecureBytes(count: head.count + tail.count) { buffer in
            buffer.copyBytes(from: head)
            tail.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[head.count...]).copyMemory(from: $0) }
        }
    }

    /// Whether `value` is laid out as a bundle (it opens with a certificate's PEM), which no
    /// client secret is: tells what a credential's value is without the vault's metadata.
    public static func isBundle(_ value: SecureBytes) -> Bool {
        value.withUnsafeBytes { $0.starts(with: Array("-----BEGIN CERTIFICATE-----".utf8)) }
    }

    /// The certificate and key of a bundle, checked against each other.
    ///
    /// - Throws: ``CryptoError`` when either half does not read or the key is not the certificate's.
    public static func decode(_ bundle: SecureBytes) throws -> SigningCertificate.Pair {
        let marker = Array("-----END CERTIFICATE-----\n".utf8)
        let split: Int? = bundle.withUnsafeBytes { raw in
            guard raw.count >= marker.count else { return nil }
            for start in 0...(raw.count - marker.count) where raw[start] == marker[0] && raw[start..<(start + marker.count)].elementsEqual(marker) {
                return start + marker.count
            }
            return nil
        }
        guard let split else { throw CryptoError.invalidCertificate(reason: "the value holds no certificate followed by its key") }
        let certificate = try bundle.withUnsafeBytes { try X509Certificate(pem: String(decoding: $0[..<split], as: UTF8.self)) }
        let key = try RSAPrivateKey(pem: bundle.withUnsafeBytes { SecureBytes(copying: $0[split...]) })
        guard try certificate.matches(key) else { throw CryptoError.invalidKey(reason: "its private and public parts do not belong together") }
        return SigningCertificate.Pair(certificate: certificate, privateKey: key)
    }
}

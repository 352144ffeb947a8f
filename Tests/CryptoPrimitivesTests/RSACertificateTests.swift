import CryptoPrimitives
import Foundation
import ProcessHarness
import Testing

/// RSA keys, self-signed certificates and JWS signatures (issue 16's crypto layer), checked
/// against an independent implementation: Python's `cryptography` verifies what OpenSSL made
/// here, and what it makes is verified and read here.
@Suite("RSA keys and X.509 certificates")
struct RSACertificateTests {
    /// One 3072-bit key for the suite: generating one takes a second on this machine.
    static let key: RSAPrivateKey = try! RSAPrivateKey.generate()

    /// Runs `python3 -c script arguments…` and returns its standard output.
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        let python = try #require(
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
                .first { FileManager.default.isExecutableFile(atPath: $0) }, "python3 is not installed (apt-get install python3 python3-cryptography)")
        let result = try ProcessRunner.run(python, arguments: ["-c", script] + arguments, timeout: 120)
        try #require(result.succeeded, "\(result)")
        return result.output
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rsa-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    @Test("a self-signed certificate and PS256/RS256 signatures made here verify in Python's cryptography")
    func ourCertificateVerifiesThere() throws {
        let start = Date(timeIntervalSince1970: 1_796_000_000), end = Date(timeIntervalSince1970: 1_827_536_000)
        let certificate = try X509Certificate.selfSigned(key: Self.key, commonName: "secrets rotator", notBefore: start, notAfter: end)
        #expect(certificate.subject == "CN=secrets rotator")
        #expect(certificate.notBefore == start && certificate.notAfter == end)
        #expect(certificate.publicKey.bits == 3072 && Self.key.bits == 3072)
        #expect(try certificate.matches(Self.key))
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = Array("eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJhcHAifQ".utf8)
        try certificate.pem.write(to: directory.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try Data(message).write(to: directory.appendingPathComponent("message"))
        for algorithm in RSASignatureAlgorithm.allCases {
            try Data(try Self.key.signature(for: message, algorithm: algorithm)).write(to: directory.appendingPathComponent(algorithm.rawValue))
        }
        let output = try Self.python("""
            import sys, pathlib
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding
            d = pathlib.Path(sys.argv[1])
            cert = x509.load_pem_x509_certificate((d / "cert.pem").read_bytes())
            key = cert.public_key()
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
            message = (d / "message").read_bytes()
            key.verify((d / "PS256").read_bytes(), message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
            key.verify((d / "RS256").read_bytes(), message, padding.PKCS1v15(), hashes.SHA256())
            print(cert.fingerprint(hashes.SHA1()).hex(), cert.fingerprint(hashes.SHA256()).hex(), cert.subject.rfc4514_string(), key.key_size, cert.version.name)
            """, [directory.path])
        let fields = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count >= 5, "\(output)")
        #expect(fields[0] == Self.hex(try certificate.sha1Thumbprint()))
        #expect(fields[1] == Self.hex(try certificate.sha256Thumbprint()))
        #expect(output.contains("CN=secrets rotator") && output.contains("3072") && output.contains("v3"))
    }

    @Test("keys, certificates and signatures made by Python's cryptography are read and verified here")
    func theirsVerifyHere() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.python("""
            import sys, pathlib, datetime
            from cryptography import x509
            from cryptography.x509.oid import NameOID
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import rsa, padding, ec
            d = pathlib.Path(sys.argv[1])
            def cert_for(key, name):
                subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
                now = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)
                return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
                        .sign(key, hashes.SHA256()))
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            (d / "key-pkcs8.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (d / "key-pkcs1.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
            (d / "key-encrypted.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
            (d / "cert.pem").write_bytes(cert_for(key, "theirs").public_bytes(serialization.Encoding.PEM))
            message = b"header.payload"
            (d / "PS256").write_bytes(key.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()))
            (d / "RS256").write_bytes(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
            weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
            (d / "weak.pem").write_bytes(weak.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (d / "weak-cert.pem").write_bytes(cert_for(weak, "weak").public_bytes(serialization.Encoding.PEM))
            curve = ec.generate_private_key(ec.SECP256R1())
            (d / "ec.pem").write_bytes(curve.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            """, [directory.path])
        func file(_ name: String) throws -> String { try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) }
        func secret(_ name: String) throws -> SecureBytes { SecureBytes(copying: Array(try file(name).utf8)) }
        let pkcs8 = try RSAPrivateKey(pem: try secret("key-pkcs8.pem"))
        let pkcs1 = try RSAPrivateKey(pem: try secret("key-pkcs1.pem"))
        #expect(pkcs8.bits == 2048)
        #expect(try pkcs8.publicKey() == pkcs1.publicKey(), "both forms are one key")
        let certificate = try X509Certificate(pem: try file("cert.pem"))
        #expect(certificate.subject == "CN=theirs")
        #expect(try certificate.matches(pkcs8))
        #expect(try !certificate.matches(Self.key), "another key is not its key")
        let message = Array("header.payload".utf8)
        for algorithm in RSASignatureAlgorithm.allCases {
            let signature = [UInt8](try Data(contentsOf: directory.appendingPathComponent(algorithm.rawValue)))
            #expect(certificate.publicKey.isValidSignature(signature, for: message, algorithm: algorithm))
            #expect(!certificate.publicKey.isValidSignature(signature, for: message + [0], algorithm: algorithm), "another message")
        }
        let ps256 = [UInt8](try Data(contentsOf: directory.appendingPathComponent("PS256")))
        #expect(!certificate.publicKey.isValidSignature(ps256, for: message, algorithm: .rs256), "a PSS signature is not a PKCS #1 v1.5 one")

        // What this tool refuses, each with its own reason.
        #expect(throws: CryptoError.weakKey(bits: 1024, minimum: 2048)) { try RSAPrivateKey(pem: try secret("weak.pem")) }
        #expect(throws: CryptoError.weakKey(bits: 1024, minimum: 2048)) { try X509Certificate(pem: try file("weak-cert.pem")) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(pem: try secret("ec.pem")) }
        #expect(throws: CryptoError.invalidKey(reason: "the private key is encrypted; decrypt it first")) { try RSAPrivateKey(pem: try secret("key-encrypted.pem")) }
        #expect(throws: CryptoError.self) { try X509Certificate(pem: try file("key-pkcs8.pem")) }
    }

    @Test("a private key leaves only as the PEM asked for, and reads back as the same key")
    func privateKeyRoundTrip() throws {
        let pem = Self.key.pemEncoded()
        let text = pem.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----\n") && text.hasSuffix("-----END PRIVATE KEY-----\n"))
        let again = try RSAPrivateKey(pem: pem)
        #expect(try again.publicKey() == Self.key.publicKey())
        let signature = try again.signature(for: [1, 2, 3], algorithm: .ps256)
        #expect(try Self.key.publicKey().isValidSignature(signature, for: [1, 2, 3], algorithm: .ps256))
        #expect(try Self.key.signature(for: [1, 2, 3], algorithm: .ps256) != signature, "PSS is salted: two signatures differ")
    }

    @Test("malformed PEM and DER are refused with a reason, never read in part")
    func malformed() throws {
        let valid = try X509Certificate.selfSigned(
            key: Self.key, commonName: "x", notBefore: Date(timeIntervalSince1970: 1_800_000_000), notAfter: Date(timeIntervalSince1970: 1_900_000_000))
        for text in ["", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n",
                     valid.pem.replacingOccurrences(of: "-----END CERTIFICATE-----", with: "")] {
            #expect(throws: CryptoError.self) { try X509Certificate(pem: text) }
        }
        #expect(throws: CryptoError.self) { try X509Certificate(der: valid.der + [0]) }
        #expect(throws: CryptoError.self) { try X509Certificate(der: Array(valid.der.dropLast())) }
        #expect(throws: CryptoError.self) { try RSAPrivateKey(der: SecureBytes(copying: [0x30, 0x03, 0x02, 0x01, 0x00])) }
        #expect(try X509Certificate(der: valid.der) == valid)
        // Explanatory text around the one block is allowed (RFC 7468); a second block is not.
        #expect(try X509Certificate(pem: "Subject: x\n" + valid.pem + "trailing words\n") == valid)
        #expect(throws: CryptoError.invalidCertificate(reason: "the certificate's file holds more than one PEM block")) { try X509Certificate(pem: valid.pem + valid.pem) }
        // The bits padding drops must be zero: one text, one DER.
        let body = valid.pem.split(separator: "\n").dropFirst().dropLast().joined()
        if let last = body.dropLast(body.hasSuffix("==") ? 2 : 1).last, body.hasSuffix("=") {
            let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            let flipped = table[(table.firstIndex(of: last)! ^ 1)]
            var tampered = String(body.dropLast(body.hasSuffix("==") ? 3 : 2)) + String(flipped) + (body.hasSuffix("==") ? "==" : "=")
            tampered = "-----BEGIN CERTIFICATE-----\n" + tampered + "\n-----END CERTIFICATE-----\n"
            #expect(throws: CryptoError.invalidCertificate(reason: "the certificate's PEM block is not base64")) { try X509Certificate(pem: tampered) }
        }
    }

    @Test("bytes that cannot open a DER SEQUENCE are refused before OpenSSL; what can is still read by it")
    func derShape() throws {
        let notKey = CryptoError.invalidKey(reason: "it is not a DER private key (PKCS #8 or PKCS #1; an encrypted key must be decrypted first)")
        let notCertificate = CryptoError.invalidCertificate(reason: "it is not a DER X.509 certificate")
        let der = Self.key.pkcs8.withUnsafeBytes { Array($0) }
        // A 3072-bit key's PKCS #8 is over 256 bytes: a two-byte long-form length (0x82).
        try #require(der.count > 256 && der[0] == 0x30 && der[1] == 0x82)
        #expect(try RSAPrivateKey(der: SecureBytes(copying: der)).publicKey() == Self.key.publicKey())
        let lengthAsFiveBytes = [0x30, 0x85, 0, 0, 0] + der[2...]
        let shapes: [[UInt8]] = [
            [0x30], [0x31] + der[1...], [0x30, 0x80] + der[4...], lengthAsFiveBytes,
            [0x30, 0x82, UInt8((der.count - 3) >> 8), UInt8((der.count - 3) & 0xFF)] + der[4...],  // one byte longer than the input
            Array(der.dropLast()),
        ]
        for bytes in shapes {
            #expect(throws: notKey) { try RSAPrivateKey(der: SecureBytes(copying: bytes)) }
            #expect(throws: notCertificate) { try X509Certificate(der: bytes) }
        }
        // A whole SEQUENCE followed by more bytes still reaches OpenSSL, which reads the key.
        #expect(throws: CryptoError.invalidKey(reason: "bytes follow the key")) { try RSAPrivateKey(der: SecureBytes(copying: der + [0x30, 0x00])) }
    }

    @Test("a name outside ASCII reads back as written; dates are whole seconds and must run forwards")
    func namesAndDates() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000.75), end = Date(timeIntervalSince1970: 1_900_000_000)
        let certificate = try X509Certificate.selfSigned(key: Self.key, commonName: "rotateur café", notBefore: start, notAfter: end)
        #expect(certificate.subject == "CN=rotateur café")
        #expect(certificate.notBefore == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(throws: CryptoError.self) { try X509Certificate.selfSigned(key: Self.key, commonName: "x", notBefore: end, notAfter: start) }
        #expect(throws: CryptoError.self) { try X509Certificate.selfSigned(key: Self.key, commonName: "x", notBefore: start, notAfter: Date(timeIntervalSince1970: 3e11)) }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

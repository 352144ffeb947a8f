import Foundation
import ProcessHarness
import Testing

/// `secrets cert import` and `cert new` given what cannot be used (issue 16): each is refused
/// with one line saying what is wrong, a documented exit code, no key material in the message,
/// and nothing stored.
@Suite("Certificates: bad input")
struct CertificateBadInputTests {
    /// Keys and certificates made by Python's cryptography, an implementation independent of ours.
    static let script = """
        import datetime, sys, pathlib
        from cryptography import x509
        from cryptography.x509.oid import NameOID
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        d = pathlib.Path(sys.argv[1])
        utc = datetime.timezone.utc
        def pair(name, bits, start, end):
            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
            cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                    .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end).sign(key, hashes.SHA256()))
            (d / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            (d / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            return key
        now = datetime.datetime.now(utc)
        pair("good", 2048, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
        pair("other", 2048, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
        pair("expired", 2048, now - datetime.timedelta(days=400), now - datetime.timedelta(days=35))
        pair("weak", 1024, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (d / "encrypted.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase")))
        good = (d / "good.key").read_text().splitlines()
        good[3] = good[3][:10] + "!!" + good[3][12:]
        (d / "malformed.key").write_text("\\n".join(good) + "\\n")
        """

    @Test("malformed PEM, a key that is not the certificate's, an expired certificate, a weak key, an encrypted key: exit 65, one line, nothing stored")
    func refusals() throws {
        let sandbox = try Sandbox("cert-bad-input")
        defer { sandbox.remove() }
        try sandbox.initVault()
        _ = try sandbox.addApp("rotator")
        let directory = sandbox.directory.path("certs")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let made = try ProcessRunner.run(try Tools.python(), arguments: ["-c", Self.script, directory], timeout: 120)
        try #require(made.succeeded, "\(made)")
        func path(_ name: String) -> String { directory + "/" + name }

        let cases: [(certificate: String, key: String?, mentioning: String)] = [
            ("good.crt", "malformed.key", "unusable key"),
            ("good.crt", "other.key", "not the certificate's key"),
            ("expired.crt", "expired.key", "it expired on"),
            ("weak.crt", "weak.key", "too weak"),
            ("good.crt", "encrypted.key", "encrypted"),
            ("good.key", nil, "unusable certificate"),
        ]
        for item in cases {
            var arguments = ["cert", "import", "rotator", "--certificate", path(item.certificate)]
            if let key = item.key { arguments += ["--private-key", path(key)] }
            let result = try sandbox.fail(arguments, status: 65, mentioning: item.mentioning)
            // The message never repeats what it read.
            for file in [item.certificate] + (item.key.map { [$0] } ?? []) {
                let text = try String(contentsOfFile: path(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.count >= 32 && !line.hasPrefix("-----") {
                    #expect(!result.errorOutput.contains(line), "the refusal of \(file) repeats its content")
                }
            }
        }
        #expect(try sandbox.succeed(["cert", "show", "rotator"]).output.contains("has no certificates"))
        try sandbox.fail(["cert", "import", "rotator", "--certificate", path("missing.crt")], status: 66, mentioning: "cannot read")
        try sandbox.fail(["cert", "pem", "rotator"], status: 66, mentioning: "no pending or current certificate")
        try sandbox.fail(["cert", "new", "nobody"], status: 66, mentioning: "nobody")
        let weak = try sandbox.run(["cert", "new", "rotator", "--bits", "1024"])
        #expect(weak.exitStatus == 64 && weak.errorOutput.contains("--bits"), "\(weak)")

        // The good pair is stored, once.
        try sandbox.succeed(["cert", "import", "rotator", "--certificate", path("good.crt"), "--private-key", path("good.key")])
        try sandbox.fail(
            ["cert", "import", "rotator", "--certificate", path("good.crt"), "--private-key", path("good.key")], status: 65, mentioning: "already holds this certificate")

        // Its private key leaves only through `cert export`: not `secret get`, not a Jamf payload.
        try sandbox.succeed([
            "app", "add", "jamf", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com", "--consumer", "jamf-pro-intune=https://contoso.jamfcloud.com",
        ])
        try sandbox.succeed(["cert", "import", "jamf", "--certificate", path("other.crt"), "--private-key", path("other.key"), "--state", "current"])
        try sandbox.fail(["secret", "get", "jamf"], status: 64, mentioning: "cert export")
        try sandbox.fail(["jamf", "payload", "jamf", "--reveal"], status: 78, mentioning: "signs in with a certificate")
        // A person-rotated app that signs in with a certificate is never given a typed secret instead.
        let manual = try sandbox.run(["rotate", "jamf", "--force"], stdin: Sandbox.secretValue())
        #expect(manual.exitStatus == 1 && manual.output.contains("signs in with a certificate"), "\(manual)")
        #expect(try sandbox.succeed(["app", "show", "jamf", "--json"]).output.contains("\"current\""))

        // Without its key a certificate is tracked only: never current, nothing to print or upload.
        try sandbox.fail(["cert", "import", "rotator", "--certificate", path("other.crt"), "--state", "current"], status: 64, mentioning: "cannot be current")
        try sandbox.succeed(["cert", "import", "rotator", "--certificate", path("other.crt"), "--state", "previous"])
        #expect(try sandbox.succeed(["cert", "show", "rotator"]).output.contains("CN=other"))
        // Two pending certificates: which one to upload is for a person to say.
        try sandbox.succeed(["cert", "new", "rotator", "--bits", "2048"])
        try sandbox.fail(["cert", "pem", "rotator"], status: 64, mentioning: "--key-id")
    }
}

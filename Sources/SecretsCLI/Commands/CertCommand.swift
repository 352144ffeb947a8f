import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation

/// `secrets cert …`: certificate credentials, the sign-in Microsoft recommends over secrets.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Make, import, show and activate certificate credentials.",
        discussion: """
            A certificate credential is an RSA key pair and a self-signed X.509 certificate. The \
            public certificate is uploaded to the app registration; the private key stays in the \
            vault, sealed like a secret value (admin only), and signs a short-lived client assertion \
            each time the app signs in. An app whose current credential is a certificate (a rotator, \
            a scanner) signs in with it instead of a secret.

            The usual set-up: `cert new APP` (pending), `cert pem APP` and upload it (portal, \
            `az ad app credential reset --id APPID --cert @FILE --append`, or Graph), then \
            `cert activate APP`, which proves the sign-in and makes it current.

            Exit codes: 0 done; 64 usage or an invalid value; 65 a certificate or key that cannot \
            be used (malformed PEM or DER, a key that is not the certificate's, expired, weaker than \
            2048 bits); 66 unknown app or certificate, or a file that cannot be read; 73 an output \
            file that exists; 77 a reader identity where an admin is needed; and for activate, 69 \
            Entra ID unreachable, 1 the sign-in still refused at the end of --wait.
            """,
        subcommands: [
            CertNewCommand.self, CertPEMCommand.self, CertShowCommand.self, CertImportCommand.self, CertActivateCommand.self,
            CertExportCommand.self,
        ])

    /// The certificate to act on: `keyID`, else the newest pending one the vault made or
    /// imported, else the current one.
    static func choose(_ certificates: [CredentialRecord], keyID: String?, app: String) throws -> CredentialRecord {
        if let keyID {
            guard let found = certificates.first(where: { $0.credential.keyID == keyID.lowercased() }) else {
                throw VaultError.credentialNotFound(app: app, keyID: keyID.lowercased())
            }
            return found
        }
        let held = certificates.filter { $0.credential.certificate != nil }
        let pending = held.filter { $0.credential.state == .pending }
        // Two pending ones (an import may have brought one): a person names which to upload.
        guard pending.count <= 1 else {
            throw CLIError.usage(
                "\(app) has \(pending.count) pending certificates (\(pending.map(\.credential.keyID).joined(separator: ", "))): name one with --key-id (`secrets cert show \(app)` tells them apart)")
        }
        if let pending = pending.first { return pending }
        if let current = held.first(where: { $0.credential.state == .current }) { return current }
        throw CLIError.noInput("\(app) has no pending or current certificate the vault made or imported; make one with `secrets cert new \(app)`")
    }

    /// Reads a PEM or DER file of at most 64 KiB (no certificate or key is larger) into wiped storage.
    static func readFile(_ path: String) throws -> SecureBytes {
        try Terminal.readFile(path: path, limit: 65_536)
    }

    /// Whether `bytes` start like PEM text (`-----BEGIN`), after any blank.
    static func isPEM(_ bytes: SecureBytes) -> Bool {
        bytes.withUnsafeBytes { raw in
            let start = raw.firstIndex { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } ?? raw.endIndex
            return raw[start...].starts(with: Array("-----BEGIN".utf8))
        }
    }
}

/// `secrets cert new APP`: a new key pair and self-signed certificate, pending until activated.
struct CertNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Make an RSA key pair and a self-signed certificate for an app (admin).",
        discussion: """
            The key is made with OpenSSL (3072 bits unless --bits says otherwise) and never leaves \
            the vault unencrypted. The certificate is pending: nothing signs in with it until \
            `secrets cert activate` has proven that Entra ID accepts it. Print it for the upload \
            with `secrets cert pem APP`.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("When the certificate expires: a date or a duration from now.", valueName: "date|duration"))
    var expires: String = "12mo"
    @Option(name: .long, help: ArgumentHelp("The certificate's common name (default: the app's label).", valueName: "text"))
    var commonName: String?
    @Option(name: .long, help: ArgumentHelp("The RSA key size, 2048 to 16384 bits.", valueName: "bits"))
    var bits: Int = RSAPrivateKey.defaultBits
    @Flag(name: .long, help: "Make it current at once (an app with no other way to sign in; nothing is checked).")
    var current = false
    @OptionGroup var output: JSONOption

    func validate() throws {
        guard (RSAPrivateKey.minimumBits...RSAPrivateKey.maximumBits).contains(bits), bits % 8 == 0 else {
            throw ValidationError("--bits must be a multiple of 8 from \(RSAPrivateKey.minimumBits) to \(RSAPrivateKey.maximumBits)")
        }
        if let commonName, commonName.isEmpty || commonName.count > 64 || commonName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("--common-name must be 1 to 64 characters without control characters")
        }
    }

    func run() throws {
        try reportingErrors {
            let now = Date()
            let expiry = try DateParser.parse(expires, field: "expires", now: now)
            guard expiry > now.addingTimeInterval(86_400) else {
                throw VaultError.invalidValue(field: "expires", reason: "must be more than a day from now")
            }
            let vault = try options.open()
            guard vault.role == .admin else { throw VaultError.notAuthorized(reason: "a certificate's private key is sealed with the secret key: it needs an admin identity") }
            let record = try vault.app(app)
            let key = try RSAPrivateKey.generate(bits: bits)
            // A minute back: a token endpoint whose clock runs slightly behind still takes it.
            let certificate = try X509Certificate.selfSigned(
                key: key, commonName: commonName ?? record.app.label, notBefore: now.addingTimeInterval(-60), notAfter: expiry)
            let lock = try VaultLock(vaultPath: vault.path, holder: "cert new", wait: VaultLock.commandWait)
            defer { _ = lock }
            let stored = try vault.addCertificate(to: app, certificate: certificate, privateKey: key, state: current ? .current : .pending, now: now)
            if output.json { return try Printer.json(CertificateJSON(stored)) }
            Printer.line("Made certificate \(stored.credential.keyID) for \"\(record.app.label)\" (\(stored.credential.state.rawValue), \(bits)-bit RSA, expires \(DateParser.format(expiry)))")
            CertificateJSON(stored).printDetails()
            if !current {
                Printer.line("Next: upload it, then prove it and make it current:")
                Printer.line("  secrets cert pem \(record.app.label) > \(record.app.label).pem")
                Printer.line("  az ad app credential reset --id \(record.app.appID) --cert @\(record.app.label).pem --append")
                Printer.line("  secrets cert activate \(record.app.label)")
            }
        }
    }
}

/// `secrets cert pem APP`: the public certificate, for an upload.
struct CertPEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pem", abstract: "Print an app's public certificate in PEM, for an upload (any identity).",
        discussion: "Without --key-id: the newest pending certificate, else the current one. The private key is never printed here.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("The certificate's key ID.", valueName: "guid")) var keyId: String?

    func run() throws {
        try reportingErrors {
            let chosen = try options.reading { vault in try CertCommand.choose(try vault.certificates(of: app), keyID: keyId, app: app) }
            guard let details = chosen.credential.certificate else {
                throw CLIError.noInput("the vault has only the metadata of certificate \(chosen.credential.keyID) (found in the tenant), not the certificate")
            }
            StandardStreams.out(try details.certificate().pem)
        }
    }
}

/// `secrets cert show APP`: every certificate of an app, with its thumbprints and validity.
struct CertShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an app's certificates: key ID, state, thumbprints, subject, validity (any identity).")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @OptionGroup var output: JSONOption

    func run() throws {
        try reportingErrors {
            let certificates = try options.reading { try $0.certificates(of: app) }
            if output.json { return try Printer.json(certificates.map(CertificateJSON.init)) }
            guard !certificates.isEmpty else { return Printer.line("\(app) has no certificates.") }
            Printer.table(
                ["KEY ID", "STATE", "SHA-1 THUMBPRINT", "EXPIRES", "PRIVATE KEY", "SUBJECT"],
                certificates.map { record in
                    let credential = record.credential
                    return [
                        credential.keyID, credential.state.rawValue, credential.thumbprint ?? "-", Printer.day(credential.expires),
                        record.hasValue ? "in the vault" : "-", credential.certificate?.subject ?? credential.displayName ?? "-",
                    ]
                })
        }
    }
}

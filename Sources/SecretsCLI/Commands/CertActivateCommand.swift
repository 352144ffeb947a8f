import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// `secrets cert activate APP`: proves that Entra ID accepts a pending certificate, then makes it current.
struct CertActivateCommand: NetworkCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate", abstract: "Prove a pending certificate signs in, then make it the app's current credential (admin).",
        discussion: """
            Requests a token from the app's cloud as the app itself, signed with the pending \
            certificate, retrying for up to --wait seconds while Entra ID replicates the upload. \
            Only then does the certificate become current; the credential that was current becomes \
            previous, to be removed after the app's overlap. --entra-key-id records the key ID \
            Entra ID gave the upload (shown by the portal and by `az ad app credential list \
            --cert`), replacing the one the vault made up.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("The pending certificate's key ID (default: the newest pending one).", valueName: "guid"))
    var keyId: String?
    @Option(name: .long, help: ArgumentHelp("The key ID Entra ID gave the uploaded certificate.", valueName: "guid"))
    var entraKeyId: String?
    @Option(name: .long, help: ArgumentHelp("How long to retry a sign-in Entra ID still refuses, 1 to 600 seconds.", valueName: "seconds"))
    var wait: Int = 60

    func validate() throws {
        guard (1...600).contains(wait) else { throw ValidationError("--wait must be 1 to 600 seconds") }
    }

    func run(network access: NetworkAccess) throws {
        try reportingErrors {
            let network = try access.factoryOrHandOver()
            try network.checkEndpoints()
            let vault = try options.open()
            guard vault.role == .admin else { throw VaultError.notAuthorized(reason: "activation signs with the private key: it needs an admin identity") }
            let record = try vault.app(app)
            let chosen = try CertCommand.choose(try vault.certificates(of: app), keyID: keyId, app: app)
            guard chosen.credential.state == .pending else {
                throw VaultError.invalidValue(field: "key-id", reason: "certificate \(chosen.credential.keyID) is \(chosen.credential.state.rawValue), not pending")
            }
            let signing = try vault.signingCertificate(of: app, keyID: chosen.credential.keyID)
            let environment = try network.environment(
                for: ManualIssuer.run(.init(keyID: nil, expires: nil, valueFromStandardInput: false, confirmedRemoved: [])))
            let seconds = wait
            let proof = try runBlocking {
                try await environment.verifySignIn(of: record, with: .certificate(signing), keyID: signing.keyID, wait: .seconds(seconds))
            }
            if let entraKeyId, let found = proof.issuerKeyID, found != entraKeyId.lowercased() {
                throw VaultError.invalidValue(field: "entra-key-id", reason: "Entra ID holds this certificate as key \(found), not \(entraKeyId.lowercased())")
            }
            let lock = try VaultLock(vaultPath: vault.path, holder: "cert activate", wait: VaultLock.commandWait)
            defer { _ = lock }
            let active = try vault.activateCertificate(of: app, keyID: chosen.credential.keyID, issuerKeyID: entraKeyId ?? proof.issuerKeyID)
            Printer.line("Certificate \(active.credential.keyID) of \"\(record.app.label)\" is current (\(proof.summary)).")
            if entraKeyId == nil, proof.issuerKeyID == nil, active.credential.keyID == chosen.credential.keyID {
                Terminal.printError(
                    "secrets: Entra ID's key ID for it is unknown (\(record.app.label) cannot read its own registration): run `secrets cert activate` with --entra-key-id next time, or make the app an owner of itself, so that a rotation can later remove this certificate")
            }
        }
    }
}

/// `secrets cert import APP`: an existing certificate, with its private key when given.
struct CertImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Store an existing certificate and its private key (admin).",
        discussion: """
            Reads PEM or DER from files (never from the command line). The key must be an \
            unencrypted RSA key of at least 2048 bits (PKCS #8 or PKCS #1) and be the \
            certificate's. Without --private-key the certificate is tracked for expiry only. \
            The default state is pending: `secrets cert activate` proves it before it is used.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("The certificate, PEM or DER.", valueName: "path")) var certificate: String
    @Option(name: .long, help: ArgumentHelp("Its private key, PEM or DER (unencrypted).", valueName: "path")) var privateKey: String?
    @Option(name: .long, help: ArgumentHelp("Entra ID's key ID for it, when it was uploaded already.", valueName: "guid")) var keyId: String?
    @Option(name: .long, help: ArgumentHelp("pending, current or previous.", valueName: "state")) var state: String = "pending"

    func run() throws {
        try reportingErrors {
            guard let state = CredentialState(rawValue: state.lowercased()), state != .retired else {
                throw VaultError.invalidValue(field: "state", reason: "\"\(state)\" is not one of pending, current, previous")
            }
            if let keyId { try Validation.guid(keyId, field: "key-id") }
            let certificateBytes = try CertCommand.readFile(certificate)
            let parsed = try CertCommand.isPEM(certificateBytes)
                ? certificateBytes.withUnsafeBytes { try X509Certificate(pem: String(decoding: $0, as: UTF8.self)) }
                : certificateBytes.withUnsafeBytes { try X509Certificate(der: Array($0)) }
            let key = try privateKey.map { path -> RSAPrivateKey in
                let bytes = try CertCommand.readFile(path)
                return try CertCommand.isPEM(bytes) ? RSAPrivateKey(pem: bytes) : RSAPrivateKey(der: bytes)
            }
            let vault = try options.open()
            let lock = try VaultLock(vaultPath: vault.path, holder: "cert import", wait: VaultLock.commandWait)
            defer { _ = lock }
            let stored = try vault.addCertificate(to: app, certificate: parsed, privateKey: key, keyID: keyId, state: state)
            Printer.line("Stored certificate \(stored.credential.keyID) for \"\(app)\" (\(state.rawValue)\(key == nil ? ", without its private key" : ""))")
            CertificateJSON(stored).printDetails()
        }
    }
}

/// `secrets cert export APP --key-id GUID --output FILE`: the one way a private key leaves the vault.
struct CertExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a certificate and its private key to a new 0600 file, unencrypted (admin, audited).",
        discussion: """
            The file holds the certificate and the PKCS #8 private key in PEM, as tools such as \
            curl, openssl and MSAL read them. It is created with mode 0600 and never overwritten. \
            Anyone who reads it can sign in as the app: move it where it is needed and delete it. \
            The export is recorded in the audit log.
            """)

    @OptionGroup var options: VaultOptions
    @Argument(help: "The app's label or app ID.") var app: String
    @Option(name: .long, help: ArgumentHelp("The certificate's key ID.", valueName: "guid")) var keyId: String
    @Option(name: .long, help: ArgumentHelp("The file to create.", valueName: "path")) var output: String

    func run() throws {
        try reportingErrors {
            try Validation.guid(keyId, field: "key-id")
            let vault = try options.open()
            guard vault.role == .admin else { throw VaultError.notAuthorized(reason: "a private key is sealed with the secret key: it needs an admin identity") }
            try vault.checkIntegrity()
            let descriptor = open(output, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw CLIError(description: "cannot create \(output): \(String(cString: strerror(errno)))", code: ExitStatus.cannotCreate)
            }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            do {
                let exported = try vault.exportCertificate(of: app, keyID: keyId)
                // Written from the wiped buffer itself: no unwiped copy of the key is made.
                try exported.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                        if written < 0, errno == EINTR { continue }
                        guard written > 0 else { throw CLIError(description: "cannot write \(output): \(String(cString: strerror(errno)))", code: ExitStatus.ioError) }
                        offset += written
                    }
                }
                try handle.synchronize()
            } catch {
                unlink(output)
                throw error
            }
            Terminal.printError("Wrote the certificate and private key of \(keyId.lowercased()) to \(output) (mode 0600): delete it once it is used.")
        }
    }
}

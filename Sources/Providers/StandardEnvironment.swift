import ClientSecrets
import CryptoPrimitives
import EntraID
import Foundation
import Hooks
import JamfPro
import JamfProAPI
import Rotation

/// The issuers and consumers of one run: Entra ID through a rotator app, Jamf Pro API clients,
/// manual (built by the caller), Jamf Pro's Intune integration and commands. Credentials the
/// services need (the rotator's secret, a Jamf Pro API client's) come from the same vault.
struct StandardEnvironment: RotationEnvironment {
    /// Builds the issuer of a `manual` app: the caller's, which knows about terminals.
    let manualIssuer: @Sendable (App) -> any Issuer
    let environment: [String: String]
    /// One HTTP session and token cache for every app of a run: a thousand apps rotated by the
    /// same rotator use one Graph token.
    let graph: GraphSession
    /// Settings for every Jamf Pro API call of the run.
    let jamf: JamfProClient.Configuration
    /// Runs every apply command and command consumer of the run, within its timeout.
    let runner: CommandRunner
    /// The run's waits: for a Jamf Pro canary, and for a previous secret still in use.
    let tuning: RotationTuning

    /// The variable that shortens or lengthens the wait for one HTTP response (seconds, 1–600).
    static let timeoutVariable = "SECRETS_HTTP_TIMEOUT"
    /// The variable that bounds one apply command or command consumer (seconds, 1–3600, default
    /// 120): a hook that hangs is stopped (SIGTERM to its process group, SIGKILL 5 s later) and
    /// its deploy fails instead of holding the run, and the vault's rotation lock, forever.
    static let commandTimeoutVariable = "SECRETS_COMMAND_TIMEOUT"

    init(run: RotationRunSettings) throws {
        self.manualIssuer = run.manualIssuer
        self.tuning = run.tuning
        self.environment = run.environment
        let environment = run.environment
        var timeout: Int = 30
        if let text = environment[Self.timeoutVariable], !text.isEmpty {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw RotationSettingError("\(Self.timeoutVariable) must be a whole number of seconds from 1 to 600, not \"\(text.prefix(16))\"")
            }
            timeout = seconds
        }
        self.graph = GraphSession(configuration: .init(requestTimeout: .seconds(timeout)))
        self.jamf = JamfProClient.Configuration(requestTimeout: TimeInterval(timeout))
        var commandTimeout = 120
        if let text = environment[Self.commandTimeoutVariable], !text.isEmpty {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw RotationSettingError("\(Self.commandTimeoutVariable) must be a whole number of seconds from 1 to 3600, not \"\(text.prefix(16))\"")
            }
            commandTimeout = seconds
        }
        self.runner = CommandRunner(timeout: TimeInterval(commandTimeout))
    }

    func issuer(for record: AppRecord, in vault: Vault) throws -> any Issuer {
        let app = record.app
        switch app.issuer {
        case .manual:
            // A person types a secret: an app that signs in with a certificate would lose it.
            if try vault.currentCredential(of: app.label)?.kind == .certificate {
                return CertificateKeepingIssuer(base: manualIssuer(app), label: app.label)
            }
            return manualIssuer(app)
        case .entraID:
            // Without a rotator, an app that signs in with a certificate of its own rolls it
            // itself (addKey and removeKey need no Graph permission, only the proof).
            let ownsCertificate = try vault.currentCredential(of: app.label)?.kind == .certificate
            guard let rotatorLabel = app.rotator ?? (ownsCertificate ? app.label : nil) else {
                throw RotationFailure.misconfigured(
                    "\(app.label) uses the entra-id issuer but names no rotator; add one with `secrets app edit \(app.label) --rotator LABEL` (an app with Application.ReadWrite.OwnedBy that owns \(app.label))")
            }
            let rotator = try signIn(of: rotatorLabel, for: app, role: "rotator", in: vault)
            var issuer = EntraIDIssuer(
                app: app, rotatorClientID: rotator.clientID, rotatorCredential: rotator.credential,
                endpoints: try EntraEndpoints(cloud: app.cloud, environment: environment), session: graph)
            issuer.usageGrace = tuning.usageGrace
            // An app that signs in with a certificate of its own rolls certificates, not secrets.
            if ownsCertificate {
                guard case .certificate(let own) = try vault.signInCredential(of: app.label) else {
                    throw RotationFailure.misconfigured("\(app.label)'s current certificate changed during the run; run it again")
                }
                issuer.ownCertificate = own
                for record in try vault.certificates(of: app.label) where record.credential.holder == .application {
                    guard let thumbprint = record.credential.thumbprint else { continue }
                    issuer.certificateThumbprints[record.credential.keyID] = thumbprint
                    if record.credential.state == .current { issuer.protectedThumbprints.insert(thumbprint) }
                }
            }
            return issuer
        case .jamfProAPIClient:
            guard let settings = app.jamfProIssuer else {
                throw RotationFailure.misconfigured(
                    "\(app.label) is a Jamf Pro API client but has no Jamf Pro URL and integration id; add them with `secrets app edit \(app.label) --jamf-url URL --jamf-integration-id ID`")
            }
            let authenticating = try credentials(of: app.rotator ?? app.label, for: app, role: "API client", in: vault)
            return try JamfAPIClientIssuer(
                settings: settings, clientID: app.appID, authenticating: JamfAPIClientCredentials(authenticating), configuration: jamf)
        }
    }

    func consumers(for record: AppRecord, in vault: Vault) throws -> [any SecretConsumer] {
        try record.app.consumers.map { consumer -> any SecretConsumer in
            switch consumer.kind {
            case .command:
                return try CommandConsumer(consumer: consumer, runner: runner)
            case .jamfProIntune:
                let apiClient = try consumer.apiClient.map {
                    JamfAPIClientCredentials(try credentials(of: $0, for: record.app, role: "Jamf Pro API client", in: vault))
                }
                let payloads = VaultLocation.localDirectory(forVault: vault.path) + "/payloads"
                return try JamfIntuneConsumer(
                    consumer: consumer, apiClient: apiClient, payloadDirectory: payloads, runner: runner,
                    canaryWait: tuning.jamfCanaryWait, configuration: jamf)
            }
        }
    }

    func tenantReader(scanner: AppRecord, in vault: Vault) throws -> any TenantReader {
        let label = scanner.app.label
        let credential: SignInCredential
        do {
            credential = try vault.signInCredential(of: label)
        } catch let error as VaultError where error.code == .credentialNotFound || error.code == .noSecretValue {
            throw RotationFailure.misconfigured(
                "the scanner \(label) has no current secret or certificate in the vault; add one with `secrets secret add \(label)` or `secrets cert new \(label)`")
        }
        return TenantInventory(
            scannerClientID: scanner.app.appID, scannerCredential: credential, tenant: scanner.app.tenant,
            endpoints: try EntraEndpoints(cloud: scanner.app.cloud, environment: environment), session: graph)
    }

    func verifySignIn(of record: AppRecord, with credential: SignInCredential, keyID: String, wait: Duration) async throws -> SignInProof {
        let app = record.app
        guard app.issuer != .jamfProAPIClient else {
            throw RotationFailure.misconfigured("\(app.label) is a Jamf Pro API client, which signs in with a secret, not a certificate")
        }
        let issuer = EntraIDIssuer(
            app: app, rotatorClientID: app.appID, rotatorCredential: credential,
            endpoints: try EntraEndpoints(cloud: app.cloud, environment: environment), session: graph,
            verification: VerificationPolicy(window: wait))
        let summary = try await issuer.verifySignIn(with: credential, keyID: keyID)
        guard case .certificate(let signing) = credential else { return SignInProof(summary: summary, issuerKeyID: nil) }
        return SignInProof(summary: summary, issuerKeyID: await issuer.keyID(of: signing.certificate))
    }

    /// The client ID of the app `label`, which `app` relies on to sign in to Entra ID, and its
    /// current secret or certificate.
    private func signIn(of label: String, for app: App, role: String, in vault: Vault) throws -> (clientID: String, credential: SignInCredential) {
        let other = try relied(on: label, by: app, role: role, in: vault)
        do {
            return (other.app.appID, try vault.signInCredential(of: label))
        } catch let error as VaultError where error.code == .credentialNotFound || error.code == .noSecretValue {
            throw RotationFailure.misconfigured(
                "\(app.label) needs the current secret or certificate of its \(role) \(label), and the vault holds none; add one with `secrets cert new \(label)` or `secrets secret add \(label)`")
        }
    }

    /// The client ID and current secret of the app `label`, which `app` relies on.
    private func credentials(of label: String, for app: App, role: String, in vault: Vault) throws -> AppSecretCredential {
        let other = try relied(on: label, by: app, role: role, in: vault)
        do {
            return AppSecretCredential(clientID: other.app.appID, secret: try vault.secretValue(of: label))
        } catch let error as VaultError where error.code == .credentialNotFound || error.code == .noSecretValue {
            throw RotationFailure.misconfigured("\(app.label) needs the current secret of its \(role) \(label), and the vault holds none; add it with `secrets secret add \(label)`")
        }
    }

    /// The app `label` that `app` names as its `role`; misconfigured when the vault has none.
    private func relied(on label: String, by app: App, role: String, in vault: Vault) throws -> AppRecord {
        do {
            return try vault.app(label)
        } catch let error as VaultError where error.code == .appNotFound {
            throw RotationFailure.misconfigured("\(app.label) names \(label) as its \(role), but the vault has no app \(label)")
        }
    }
}

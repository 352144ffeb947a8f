import CryptoPrimitives
import FlyingFox
import FlyingSocks
import Foundation

/// A loopback emulator of the Microsoft identity platform's token endpoint and of the Microsoft
/// Graph application API, speaking real HTTP.
///
/// One server answers both `POST /{tenant}/oauth2/v2.0/token` and `/v1.0/…`, so one base URL
/// serves as both `SECRETS_ENTRA_LOGIN_ENDPOINT` and `SECRETS_GRAPH_ENDPOINT`. Bodies and error
/// documents follow the published shapes (see `reference/entra-graph.md`); a new secret fails
/// token requests for ``Configuration/replicationDelay`` like Entra's replication; faults
/// (throttling, 5xx, hangs, dropped connections, slowness) can be injected per operation.
///
/// Tests start it in process; other processes use the `secrets-emulator` executable and the
/// control API under `/_emulator/` (see `EntraControlAPI`).
///
/// ```swift
/// let emulator = EntraEmulator()
/// let url = try await emulator.start()
/// await emulator.registerApplication(appID: rotator, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
/// await emulator.registerApplication(appID: app, displayName: "intune", owners: [rotator])
/// ```
public final class EntraEmulator: Sendable {
    let state: EntraEmulatorState
    private let runtime = Runtime()

    /// Creates an emulator; nothing listens until ``start(port:)``.
    public init(configuration: Configuration = .init()) {
        state = EntraEmulatorState(configuration: configuration)
    }

    /// Starts listening on 127.0.0.1 and returns the base URL (`http://127.0.0.1:PORT`) once
    /// connections are accepted. `port` 0 picks a free port. Calling it again returns the same URL.
    @discardableResult
    public func start(port: UInt16 = 0) async throws -> URL {
        try await runtime.start(handler: EntraRequestHandler(state: state), port: port)
    }

    /// Stops listening and drops open connections (requests being held by a fault end at once).
    public func stop() async {
        await runtime.stop()
    }

    /// The base URL while running.
    public var url: URL? {
        get async { await runtime.url }
    }

    // MARK: Directory

    /// Registers an application (or updates the one with this app id) and returns its object id.
    ///
    /// - Parameters:
    ///   - owners: the app ids of the apps (service principals) that own this one.
    ///   - roles: the Graph application permissions this app holds when *it* calls Graph, such as
    ///     `Application.ReadWrite.OwnedBy` or `Application.ReadWrite.All`.
    @discardableResult
    public func registerApplication(appID: String, displayName: String, owners: [String] = [], roles: [String] = []) async -> String {
        await state.register(appID: appID, displayName: displayName, owners: owners, roles: roles)
    }

    /// Seeds a secret on the application `appID` and returns its key id.
    ///
    /// `replicated: false` makes it fail token requests for the replication delay, as a secret
    /// just made through `addPassword` does. An application not registered yet is registered
    /// (named by its app id, without owners or roles).
    @discardableResult
    public func addSecret(
        appID: String, value: String, keyID: String? = nil, displayName: String? = nil,
        expires: Date, replicated: Bool = true
    ) async -> String {
        if await state.application(appID: appID) == nil {
            _ = await state.register(appID: appID, displayName: appID, owners: [], roles: [])
        }
        let secret = await state.addSecret(
            appID: appID, value: value, keyID: keyID, displayName: displayName,
            start: nil, end: expires, replicated: replicated
        )
        return secret?.keyID ?? ""
    }

    /// Adds a certificate credential (metadata only) to `appID` and returns it; `nil` for an
    /// unknown application. A thumbprint is made up when none is given.
    @discardableResult
    public func addCertificate(
        appID: String, keyID: String? = nil, displayName: String? = nil, thumbprint: [UInt8]? = nil, start: Date? = nil, expires: Date
    ) async -> EmulatedCertificate? {
        await state.addCertificate(appID: appID, keyID: keyID, displayName: displayName, thumbprint: thumbprint, start: start, end: expires)
    }

    /// Uploads the certificate `der` to `appID`, as a person does in the portal: its validity
    /// becomes the credential's, and client assertions are checked against its public key.
    /// `nil` for an unknown application or a certificate that does not read.
    @discardableResult
    public func uploadCertificate(appID: String, der: [UInt8], keyID: String? = nil) async -> EmulatedCertificate? {
        guard let parsed = try? X509Certificate(der: der), let sha1 = try? parsed.sha1Thumbprint() else { return nil }
        return await state.addCertificate(
            appID: appID, keyID: keyID, displayName: parsed.subject, thumbprint: sha1, start: parsed.notBefore, end: parsed.notAfter, der: der)
    }

    /// The certificates of `appID`, with their last sign-ins.
    public func certificates(ofApp appID: String) async -> [EmulatedCertificate] {
        await state.certificates(ofApp: appID)
    }

    /// Removes the secret or certificate `keyID` of `appID`; false when there is none.
    @discardableResult
    public func removeCredential(appID: String, keyID: String) async -> Bool {
        await state.removeCredential(appID: appID, keyID: keyID)
    }

    /// Moves the end date of the credential `keyID` of `appID`; false when there is none.
    @discardableResult
    public func setCredentialEnd(appID: String, keyID: String, end: Date) async -> Bool {
        await state.setCredentialEnd(appID: appID, keyID: keyID, end: end)
    }

    /// Deletes the application `appID`; false when there is none. The delta query reports it as removed.
    @discardableResult
    public func deleteApplication(appID: String) async -> Bool {
        await state.deleteApplication(appID: appID)
    }

    /// Registers `count` applications named `prefix N` at once, each with `secrets` secrets and
    /// `certificates` certificates ending within `endDays` days (a benchmark's tenant); returns their app ids.
    @discardableResult
    public func registerTenant(count: Int, prefix: String = "tenant app", secrets: Int = 2, certificates: Int = 1, endDays: ClosedRange<Int> = 1...400) async -> [String] {
        await state.registerTenant(count: count, prefix: prefix, secrets: secrets, certificates: certificates, endDays: endDays)
    }

    /// Makes a user an owner of the application `appID`; returns the user's object id, `nil` for
    /// an unknown application.
    @discardableResult
    public func addOwner(appID: String, userPrincipalName: String, displayName: String) async -> String? {
        await state.addUserOwner(appID: appID, userPrincipalName: userPrincipalName, displayName: displayName)
    }

    /// Registers a service principal (an enterprise app) for `appID` and returns its object id;
    /// the app need not be registered here (a gallery app's registration is in another tenant).
    public func registerServicePrincipal(appID: String, displayName: String) async -> String {
        await state.registerServicePrincipal(appID: appID, displayName: displayName)
    }

    /// Adds a SAML token-signing certificate to a service principal as `addTokenSigningCertificate`
    /// does (Sign and Verify keys and a password, one thumbprint); `nil` for an unknown one.
    public func addTokenSigningCertificate(servicePrincipal objectID: String, displayName: String = "CN=Microsoft Azure Federated SSO Certificate", expires: Date) async -> (sign: String, verify: String, thumbprint: [UInt8])? {
        await state.addTokenSigningCertificate(objectID: objectID, displayName: displayName, end: expires)
    }

    /// Adds a client secret to a service principal; `nil` for an unknown one.
    @discardableResult
    public func addSecret(servicePrincipal objectID: String, keyID: String? = nil, displayName: String? = nil, expires: Date) async -> EmulatedSecret? {
        await state.addPrincipalSecret(objectID: objectID, keyID: keyID, displayName: displayName, end: expires)
    }

    /// Removes a service principal's credentials with key id `keyID`; false when there are none.
    @discardableResult
    public func removeCredential(servicePrincipal objectID: String, keyID: String) async -> Bool {
        await state.removePrincipalCredential(objectID: objectID, keyID: keyID)
    }

    /// Deletes a service principal; false when there is none. Its delta query reports it as removed.
    @discardableResult
    public func deleteServicePrincipal(_ objectID: String) async -> Bool {
        await state.deleteServicePrincipal(objectID: objectID)
    }

    /// Expires every delta token issued so far: answered 400 `syncStateNotFound` (as Graph documents
    /// for identity resources), or with `gone` 410 `resyncRequired`.
    public func expireDeltaTokens(gone: Bool = false) async {
        await state.expireDeltaTokens(gone: gone)
    }

    /// The secrets the application holds now, values included.
    public func secrets(ofApp appID: String) async -> [EmulatedSecret] {
        await state.secrets(ofApp: appID)
    }

    /// Whether a token request for `appID` with `secret` would succeed right now (nothing is recorded).
    public func accepts(appID: String, secret: String) async -> Bool {
        await state.check(appID: appID, secret: secret) == .accepted
    }

    /// Signs in as `appID` with `secret` the way a consumer does: true when Entra ID accepts it, and
    /// then the secret's last sign-in (Graph's credential sign-in report) becomes now. The Jamf
    /// Pro emulator's validator uses this, so the report shows which secret Jamf Pro uses.
    public func signIn(appID: String, secret: String) async -> Bool {
        await state.signIn(appID: appID, secret: secret) == .accepted
    }

    /// Sets when secret `keyID` of `appID` last signed in (`nil`: never), as the report will show it.
    @discardableResult
    public func setLastSignIn(appID: String, keyID: String, at date: Date?) async -> Bool {
        await state.setLastSignIn(appID: appID, keyID: keyID, at: date)
    }

    // MARK: Behaviour

    /// Makes the next `times` requests of `operation` fail with `fault`. Faults are used in the
    /// order they were injected.
    public func injectFault(_ fault: EmulatedFault, on operation: EntraOperation, times: Int = 1, after skip: Int = 0) async {
        await state.injectFault(fault, on: operation, times: times, after: skip)
    }

    /// Removes every fault not used yet.
    public func clearFaults() async {
        await state.clearFaults()
    }

    /// Makes the next `addPassword` answer say `answer` instead of the truth (see ``HostileAnswer``).
    public func answerNextAddPassword(with answer: HostileAnswer) async {
        await state.queueHostileAnswer(answer)
    }

    /// Makes the control API's `/_emulator/world` routes seed in `worlds`.
    public func serveWorlds(_ worlds: EmulatedWorlds) async {
        await state.setWorlds(worlds)
    }

    /// Sets the latency added to every token and Graph request.
    public func setLatency(_ latency: Duration) async {
        await state.setLatency(latency)
    }

    /// Sets the replication delay of secrets created from now on.
    public func setReplicationDelay(_ delay: Duration) async {
        await state.setReplicationDelay(delay)
    }

    /// Sets (or, with `nil`, lifts) the app management policy's maximum secret lifetime.
    public func setMaxLifetime(_ lifetime: TimeInterval?) async {
        await state.setMaxLifetime(lifetime)
    }

    /// Makes an app management policy forbid (or, with `false`, allow again) password
    /// credentials for `appID`: its `addPassword` answers 400 `CredentialTypeNotAllowedAsPerAppPolicy`.
    public func forbidPasswords(appID: String, _ forbidden: Bool = true) async {
        await state.setPasswordsForbidden(forbidden, appID: appID)
    }

    /// Makes every access token issued so far invalid (Graph answers 401 to them), as a
    /// revocation or an expiry would.
    public func revokeTokens() async {
        await state.revokeTokens()
    }

    /// Sets the `expires_in` of tokens issued from now on.
    public func setTokenLifetime(_ seconds: Int) async {
        await state.setTokenLifetime(seconds)
    }

    // MARK: Observation

    /// The token and Graph requests answered so far, oldest first (never bodies).
    public func requests() async -> [RecordedRequest] {
        await state.requests()
    }

    /// Forgets the requests recorded so far.
    public func clearRequests() async {
        await state.clearRequests()
    }

    /// Every access token issued so far, revoked ones included, oldest first: the hygiene tests
    /// check that none of them ever reaches a log, an output or the vault.
    public func issuedTokens() async -> [String] {
        await state.issuedTokens
    }
}

extension EntraEmulator {
    /// Why the emulator could not start.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The server's lifecycle: one HTTP server, its run task, its URL.
    private actor Runtime {
        private var server: HTTPServer?
        private var task: Task<Void, Never>?
        private var failure: String?
        private(set) var url: URL?

        func start(handler: EntraRequestHandler, port: UInt16) async throws -> URL {
            if let url { return url }
            let address = try sockaddr_in.inet(ip4: "127.0.0.1", port: port)
            let server = HTTPServer(config: .emulator(address: address), handler: handler)
            failure = nil
            let task = Task {
                do { try await server.run() } catch { self.failed(String(describing: error)) }
            }
            self.server = server
            self.task = task
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if await server.isListening, case .ip4(_, let bound)? = await server.listeningAddress {
                    let url = URL(string: "http://127.0.0.1:\(bound)")!
                    self.url = url
                    return url
                }
                if let failure {
                    await stop()
                    throw StartError(description: "cannot listen on 127.0.0.1:\(port): \(failure)")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            await stop()
            throw StartError(description: "the server did not start listening on 127.0.0.1:\(port) within 10 s")
        }

        private func failed(_ message: String) {
            failure = message
        }

        func stop() async {
            if let server { await server.stop(timeout: 0) }
            task?.cancel()
            await task?.value
            server = nil
            task = nil
            url = nil
        }
    }
}

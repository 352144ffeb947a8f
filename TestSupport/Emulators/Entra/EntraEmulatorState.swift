import Foundation

/// Everything the Entra ID emulator knows: applications and their secrets, issued tokens,
/// pending faults, configuration and the request log. One actor, so every request sees a
/// consistent directory.
actor EntraEmulatorState {
    /// An application registration.
    struct Application: Sendable {
        var objectID: String
        var appID: String
        var displayName: String
        /// App ids of the callers (service principals) that own this application.
        var owners: Set<String>
        /// Users who own it (people: what `owners` lists besides service principals).
        var userOwners: [EmulatedUser] = []
        /// Graph application permissions granted to this app when it calls Graph.
        var roles: Set<String>
        var secrets: [EmulatedSecret]
        /// Its certificate credentials (`keyCredentials`).
        var certificates: [EmulatedCertificate] = []
        /// The change number of its last change (see ``EntraEmulatorState/changeNumber``).
        var changedAt = 0
    }

    /// A service principal: an application's instance in the tenant (an "enterprise app"). Only
    /// what a tenant sync reads: its credentials, such as a SAML token-signing certificate.
    struct ServicePrincipal: Sendable {
        var objectID: String
        var appID: String
        var displayName: String
        var secrets: [EmulatedSecret] = []
        var certificates: [EmulatedCertificate] = []
        var changedAt = 0
    }

    /// An application or service principal deleted, as the delta query reports it.
    struct Removal: Sendable {
        var objectID: String
        /// Who owned it, so that only callers who could read it hear of its removal.
        var owners: Set<String>
        var changedAt: Int
    }

    /// Counts every change to an application's listed properties: delta tokens are change numbers.
    private(set) var changeNumber = 0
    /// Deleted applications, for the delta query.
    private(set) var removals: [Removal] = []
    /// Service principals by object id.
    private var servicePrincipals: [String: ServicePrincipal] = [:]
    /// Deleted service principals, for their delta query.
    private(set) var principalRemovals: [Removal] = []
    /// Delta tokens below this change number are refused, as Graph refuses expired ones.
    private(set) var oldestDeltaToken = 0
    /// How an expired delta token is answered: `false` as Graph documents for identity resources
    /// (400 `syncStateNotFound`), `true` as the delta query overview's reset (410 `resyncRequired`).
    private(set) var expiredDeltaIsGone = false

    private func changed(_ key: String) {
        changeNumber += 1
        applications[key]?.changedAt = changeNumber
    }

    // MARK: Service principals

    /// Registers a service principal for `appID` (which need not be registered here: a gallery
    /// app's registration lives in another tenant) and returns its object id.
    func registerServicePrincipal(appID: String, displayName: String) -> String {
        let objectID = UUID().uuidString.lowercased()
        servicePrincipals[objectID] = ServicePrincipal(objectID: objectID, appID: appID.lowercased(), displayName: displayName)
        principalChanged(objectID)
        return objectID
    }

    private func principalChanged(_ objectID: String) {
        changeNumber += 1
        servicePrincipals[objectID]?.changedAt = changeNumber
    }

    /// Adds a self-signed token-signing certificate as Graph's `addTokenSigningCertificate`
    /// documents it: a `Sign` key, a `Verify` key and a password credential, all with the same
    /// `customKeyIdentifier`, the password sharing the `Sign` key's key id. `nil` for an unknown
    /// service principal; else the key ids (sign, verify) and the thumbprint.
    func addTokenSigningCertificate(objectID: String, displayName: String, end: Date) -> (sign: String, verify: String, thumbprint: [UInt8])? {
        let key = objectID.lowercased()
        guard var principal = servicePrincipals[key] else { return nil }
        let now = Date().addingTimeInterval(-Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1))
        var thumbprint = [UInt8](repeating: 0, count: 20)
        for index in thumbprint.indices { thumbprint[index] = UInt8.random(in: 0...255) }
        let sign = UUID().uuidString.lowercased(), verify = UUID().uuidString.lowercased()
        principal.certificates.append(EmulatedCertificate(keyID: sign, displayName: displayName, thumbprint: thumbprint, start: now, end: end, usage: "Sign"))
        principal.certificates.append(EmulatedCertificate(keyID: verify, displayName: displayName, thumbprint: thumbprint, start: now, end: end, usage: "Verify"))
        let password = SecretText.generate()
        principal.secrets.append(EmulatedSecret(
            keyID: sign, displayName: displayName, hint: String(password.prefix(3)), value: password, start: now, end: end, created: now, usableFrom: now,
            customKeyIdentifier: thumbprint))
        servicePrincipals[key] = principal
        principalChanged(key)
        return (sign, verify, thumbprint)
    }

    /// Adds a client secret to a service principal; `nil` for an unknown one.
    func addPrincipalSecret(objectID: String, keyID: String?, displayName: String?, end: Date) -> EmulatedSecret? {
        let key = objectID.lowercased()
        guard var principal = servicePrincipals[key] else { return nil }
        let now = Date()
        let value = SecretText.generate()
        let secret = EmulatedSecret(
            keyID: (keyID ?? UUID().uuidString).lowercased(), displayName: displayName, hint: String(value.prefix(3)), value: value,
            start: now, end: end, created: now, usableFrom: now)
        principal.secrets.append(secret)
        servicePrincipals[key] = principal
        principalChanged(key)
        return secret
    }

    /// Removes every credential of a service principal with key id `keyID` (both halves of a
    /// token-signing key pair share none, but its password shares the `Sign` key's); false when none.
    func removePrincipalCredential(objectID: String, keyID: String) -> Bool {
        let key = objectID.lowercased(), keyID = keyID.lowercased()
        guard var principal = servicePrincipals[key] else { return false }
        let before = principal.secrets.count + principal.certificates.count
        principal.secrets.removeAll { $0.keyID == keyID }
        principal.certificates.removeAll { $0.keyID == keyID }
        guard principal.secrets.count + principal.certificates.count != before else { return false }
        servicePrincipals[key] = principal
        principalChanged(key)
        return true
    }

    /// Deletes a service principal; false when there is none. Its delta query reports it as removed.
    func deleteServicePrincipal(objectID: String) -> Bool {
        guard let principal = servicePrincipals.removeValue(forKey: objectID.lowercased()) else { return false }
        changeNumber += 1
        principalRemovals.append(Removal(objectID: principal.objectID, owners: [], changedAt: changeNumber))
        return true
    }

    /// Every service principal, in the order of its last change (oldest first).
    func servicePrincipalsByChange() -> [ServicePrincipal] {
        servicePrincipals.values.sorted { $0.changedAt < $1.changedAt }
    }

    /// Makes every delta token issued so far expired.
    func expireDeltaTokens(gone: Bool) {
        oldestDeltaToken = changeNumber + 1
        expiredDeltaIsGone = gone
    }

    /// Deletes the application `appID`; false when there is none.
    func deleteApplication(appID: String) -> Bool {
        let key = appID.lowercased()
        guard let application = applications.removeValue(forKey: key) else { return false }
        appIDs[application.objectID] = nil
        changeNumber += 1
        removals.append(Removal(objectID: application.objectID, owners: application.owners, changedAt: changeNumber))
        return true
    }

    /// How a client secret fares at the token endpoint.
    enum SecretCheck: Sendable, Equatable {
        case accepted
        case unknownClient
        case missingSecret
        case invalidSecret
        case expired
    }

    /// An access token that was handed out.
    struct IssuedToken: Sendable {
        var clientID: String
        var expires: Date
    }

    private struct PendingFault: Sendable {
        var fault: EmulatedFault
        var operation: EntraOperation
        var remaining: Int
        /// Matching requests to let through first (a fault in the middle of paging).
        var skip = 0
    }

    private(set) var configuration: EntraEmulator.Configuration
    /// The id of the app management policy that ``EntraEmulator/Configuration/maxLifetime`` stands for.
    nonisolated let policyID = UUID().uuidString.lowercased()
    private var applications: [String: Application] = [:]
    /// App ids by object id.
    private var appIDs: [String: String] = [:]
    private var tokens: [String: IssuedToken] = [:]
    /// Every token ever issued, revoked ones included: what must never show up in a log.
    private(set) var issuedTokens: [String] = []
    private var faults: [PendingFault] = []
    private var hostileAnswers: [HostileAnswer] = []
    /// App ids an app management policy forbids password credentials for.
    private var passwordsForbidden: Set<String> = []
    private var log: [RecordedRequest] = []
    /// Every key each application ever held, by app id: when it was added and when removed.
    private var history: [String: [KeyEvent]] = [:]

    /// One key's life at an application, for ``keyHistory(appID:)``.
    struct KeyEvent: Sendable {
        var keyID: String
        var added: Date
        var removed: Date?
    }
    private let logLimit = 200_000

    init(configuration: EntraEmulator.Configuration) {
        self.configuration = configuration
    }

    // MARK: Configuration

    func setLatency(_ latency: Duration) { configuration.latency = latency }

    /// What `POST /_emulator/world` seeds in: set by whoever runs the emulators together
    /// (`secrets-emulator`), since a world spans Entra ID and Jamf Pro. `nil` answers 404.
    private(set) var worlds: EmulatedWorlds?

    func setWorlds(_ worlds: EmulatedWorlds?) { self.worlds = worlds }
    func setReplicationDelay(_ delay: Duration) { configuration.replicationDelay = delay }
    func setMaxLifetime(_ lifetime: TimeInterval?) { configuration.maxLifetime = lifetime }
    func setTokenLifetime(_ seconds: Int) { configuration.tokenLifetime = seconds }

    /// Makes an app management policy forbid (or allow again) password credentials for `appID`.
    func setPasswordsForbidden(_ forbidden: Bool, appID: String) {
        if forbidden { passwordsForbidden.insert(appID.lowercased()) } else { passwordsForbidden.remove(appID.lowercased()) }
    }

    /// Whether an app management policy forbids password credentials for `appID`.
    func forbidsPasswords(appID: String) -> Bool { passwordsForbidden.contains(appID.lowercased()) }

    // MARK: Applications and secrets

    /// Registers (or updates) an application and returns its object id.
    func register(appID: String, displayName: String, owners: [String], roles: [String]) -> String {
        let key = appID.lowercased()
        if var existing = applications[key] {
            existing.displayName = displayName
            existing.owners = Set(owners.map { $0.lowercased() })
            existing.roles = Set(roles)
            applications[key] = existing
            changed(key)
            return existing.objectID
        }
        let application = Application(
            objectID: UUID().uuidString.lowercased(), appID: key, displayName: displayName,
            owners: Set(owners.map { $0.lowercased() }), roles: Set(roles), secrets: []
        )
        applications[key] = application
        appIDs[application.objectID] = key
        changed(key)
        return application.objectID
    }

    /// Registers `count` applications named `prefix N`, each with `secrets` secrets and
    /// `certificates` certificates whose ends are spread over `endDays`, in one call: a tenant
    /// the size a benchmark needs, without tens of thousands of control requests. Returns their app ids.
    func registerTenant(count: Int, prefix: String, secrets: Int, certificates: Int, endDays: ClosedRange<Int>) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let now = Date()
        return (0..<count).map { index in
            let appID = UUID().uuidString.lowercased()
            _ = register(appID: appID, displayName: "\(prefix) \(index)", owners: [], roles: [])
            for _ in 0..<secrets {
                let end = now.addingTimeInterval(Double(Int.random(in: endDays, using: &generator)) * 86_400)
                _ = addSecret(appID: appID, value: nil, keyID: nil, displayName: "pw", start: now, end: end, replicated: true)
            }
            for _ in 0..<certificates {
                let end = now.addingTimeInterval(Double(Int.random(in: endDays, using: &generator)) * 86_400)
                _ = addCertificate(appID: appID, keyID: nil, displayName: "CN=\(prefix) \(index)", thumbprint: nil, start: now, end: end)
            }
            return appID
        }
    }

    /// Makes a user an owner of the application `appID` and returns the user's object id; `nil`
    /// for an unknown application. Owners are not among the properties a delta round selects,
    /// so this is no change to it.
    func addUserOwner(appID: String, userPrincipalName: String, displayName: String) -> String? {
        let key = appID.lowercased()
        guard applications[key] != nil else { return nil }
        let user = EmulatedUser(objectID: UUID().uuidString.lowercased(), userPrincipalName: userPrincipalName, displayName: displayName)
        applications[key]?.userOwners.append(user)
        return user.objectID
    }

    func application(appID: String) -> Application? {
        applications[appID.lowercased()]
    }

    func application(objectID: String) -> Application? {
        appIDs[objectID.lowercased()].flatMap { applications[$0] }
    }

    /// Every application in the order of its last change, kept until the next change: the pages
    /// of one delta round all read the same order, and a tenant of 10,000 applications is
    /// not sorted again for each of its 100 pages.
    private var changeOrder: (changeNumber: Int, applications: [Application])?

    /// Every application, in the order of its last change (oldest first).
    func applicationsByChange() -> [Application] {
        if let changeOrder, changeOrder.changeNumber == changeNumber { return changeOrder.applications }
        let ordered = applications.values.sorted { $0.changedAt < $1.changedAt }
        changeOrder = (changeNumber, ordered)
        return ordered
    }

    func allApplications() -> [Application] {
        applications.values.sorted { $0.appID < $1.appID }
    }

    /// Adds a certificate credential to the application `appID`; `nil` when there is no such
    /// application. With `der`, the real certificate that assertions are checked against.
    func addCertificate(
        appID: String, keyID: String?, displayName: String?, thumbprint: [UInt8]?, start: Date?, end: Date, der: [UInt8]? = nil
    ) -> EmulatedCertificate? {
        let key = appID.lowercased()
        guard var application = applications[key] else { return nil }
        var generated = [UInt8](repeating: 0, count: 20)
        for index in generated.indices { generated[index] = UInt8.random(in: 0...255) }
        var certificate = EmulatedCertificate(
            keyID: keyID?.lowercased() ?? UUID().uuidString.lowercased(), displayName: displayName, thumbprint: thumbprint ?? generated,
            start: start ?? Date(), end: end)
        certificate.key = der
        application.certificates.append(certificate)
        applications[key] = application
        changed(key)
        return certificate
    }

    /// Adds a secret to the application `appID`; `nil` when there is no such application.
    func addSecret(
        appID: String, value: String?, keyID: String?, displayName: String?,
        start: Date?, end: Date, replicated: Bool
    ) -> EmulatedSecret? {
        let key = appID.lowercased()
        guard var application = applications[key] else { return nil }
        let now = Date()
        let value = value ?? SecretText.generate()
        let secret = EmulatedSecret(
            keyID: (keyID ?? UUID().uuidString).lowercased(),
            displayName: displayName,
            hint: String(value.prefix(3)),
            value: value,
            start: start ?? now,
            end: end,
            created: now,
            usableFrom: replicated ? .distantPast : now.addingTimeInterval(configuration.replicationDelay.timeInterval)
        )
        application.secrets.removeAll { $0.keyID == secret.keyID }
        application.secrets.append(secret)
        applications[key] = application
        changed(key)
        history[key, default: []].append(KeyEvent(keyID: secret.keyID, added: now))
        return secret
    }

    /// Removes the secret `keyID` from the application with object id `objectID`; false when
    /// the application has no such secret.
    func removeSecret(objectID: String, keyID: String) -> Bool {
        guard let application = application(objectID: objectID) else { return false }
        let before = application.secrets.count
        var updated = application
        updated.secrets.removeAll { $0.keyID == keyID.lowercased() }
        applications[application.appID] = updated
        guard updated.secrets.count != before else { return false }
        changed(application.appID)
        if let index = history[application.appID]?.lastIndex(where: { $0.keyID == keyID.lowercased() && $0.removed == nil }) {
            history[application.appID]?[index].removed = Date()
        }
        return true
    }

    /// Removes the secret or certificate `keyID` of the application `appID`, as a person in the
    /// portal would; false when it has no such credential.
    func removeCredential(appID: String, keyID: String) -> Bool {
        let key = appID.lowercased()
        guard let application = applications[key] else { return false }
        if application.secrets.contains(where: { $0.keyID == keyID.lowercased() }) {
            return removeSecret(objectID: application.objectID, keyID: keyID)
        }
        var updated = application
        updated.certificates.removeAll { $0.keyID == keyID.lowercased() }
        guard updated.certificates.count != application.certificates.count else { return false }
        applications[key] = updated
        changed(key)
        return true
    }

    /// Moves the end of the credential `keyID` of `appID` (a certificate's credential replaced by
    /// an update of the application's `keyCredentials`); false when there is no such credential.
    func setCredentialEnd(appID: String, keyID: String, end: Date) -> Bool {
        let key = appID.lowercased()
        guard var application = applications[key] else { return false }
        if let index = application.secrets.firstIndex(where: { $0.keyID == keyID.lowercased() }) {
            application.secrets[index].end = end
        } else if let index = application.certificates.firstIndex(where: { $0.keyID == keyID.lowercased() }) {
            application.certificates[index].end = end
        } else {
            return false
        }
        applications[key] = application
        changed(key)
        return true
    }

    /// Every key the application `appID` ever held, oldest first: what a test checks a claim
    /// like "removed at the issuer" against, even for a key added and removed within one run.
    func keyHistory(appID: String) -> [KeyEvent] {
        history[appID.lowercased()] ?? []
    }

    func certificates(ofApp appID: String) -> [EmulatedCertificate] {
        applications[appID.lowercased()]?.certificates ?? []
    }

    func secrets(ofApp appID: String) -> [EmulatedSecret] {
        applications[appID.lowercased()]?.secrets ?? []
    }

    /// What the token endpoint would say about `secret` for `appID` right now.
    func check(appID: String, secret: String?) -> SecretCheck {
        guard let application = applications[appID.lowercased()] else { return .unknownClient }
        guard let secret, !secret.isEmpty else { return .missingSecret }
        guard let match = application.secrets.first(where: { $0.value == secret }) else { return .invalidSecret }
        let now = Date()
        if now >= match.end { return .expired }
        if now < match.usableFrom || now < match.start { return .invalidSecret }
        return .accepted
    }

    /// ``check(appID:secret:)``, and when the secret is accepted, a sign-in recorded for it: what
    /// the token endpoint does, and what a consumer holding the secret does when it uses it.
    func signIn(appID: String, secret: String?) -> SecretCheck {
        let result = check(appID: appID, secret: secret)
        if result == .accepted, var application = applications[appID.lowercased()],
           let index = application.secrets.firstIndex(where: { $0.value == secret }) {
            application.secrets[index].lastSignIn = Date()
            applications[application.appID] = application
        }
        return result
    }

    /// Every `jti` of an accepted client assertion, per client: a second use is a replay.
    private var assertionIDs: Set<String> = []

    /// What the token endpoint says about a client `assertion` for `appID`, judged by `check`;
    /// when accepted, the `jti` is remembered and a sign-in recorded for the certificate.
    func signIn(appID: String, assertion: String, check: AssertionCheck) -> Result<Void, AssertionCheck.Refusal> {
        let key = appID.lowercased()
        guard var application = applications[key] else {
            return .failure(AssertionCheck.Refusal(
                status: 400, error: "unauthorized_client", aadsts: 700016, description: "Application with identifier '\(appID)' was not found in the directory."))
        }
        do {
            let (keyID, jti) = try check.check(assertion, certificates: application.certificates)
            guard assertionIDs.insert(key + " " + jti).inserted else {
                return .failure(AssertionCheck.Refusal(
                    status: 401, error: "invalid_client", aadsts: 700027, description: "Client assertion failed validation: its jti was already used (a replay)."))
            }
            if let index = application.certificates.firstIndex(where: { $0.keyID == keyID }) {
                application.certificates[index].lastSignIn = check.now
                applications[key] = application
            }
            return .success(())
        } catch let refusal as AssertionCheck.Refusal {
            return .failure(refusal)
        } catch {
            return .failure(AssertionCheck.Refusal(status: 400, error: "invalid_request", aadsts: 50027, description: "JWT token is invalid or malformed."))
        }
    }

    /// Sets the last sign-in of secret `keyID` of `appID` (`nil` clears it); false when there is no such secret.
    func setLastSignIn(appID: String, keyID: String, at date: Date?) -> Bool {
        guard var application = applications[appID.lowercased()],
              let index = application.secrets.firstIndex(where: { $0.keyID == keyID.lowercased() }) else { return false }
        application.secrets[index].lastSignIn = date
        applications[application.appID] = application
        return true
    }

    // MARK: Tokens

    /// Hands out an access token for `clientID`.
    func issueToken(clientID: String) -> (token: String, expiresIn: Int) {
        let token = "emu." + SecretText.random(count: 48)
        let lifetime = configuration.tokenLifetime
        tokens[token] = IssuedToken(clientID: clientID.lowercased(), expires: Date().addingTimeInterval(TimeInterval(lifetime)))
        issuedTokens.append(token)
        return (token, lifetime)
    }

    func revokeTokens() {
        tokens.removeAll()
    }

    func token(_ value: String) -> IssuedToken? {
        tokens[value]
    }

    // MARK: Faults

    func injectFault(_ fault: EmulatedFault, on operation: EntraOperation, times: Int, after skip: Int = 0) {
        guard times > 0 else { return }
        faults.append(PendingFault(fault: fault, operation: operation, remaining: times, skip: max(0, skip)))
    }

    func clearFaults() {
        faults.removeAll()
    }

    /// The next pending fault for `operation`, counted as used.
    func takeFault(for operation: EntraOperation) -> EmulatedFault? {
        guard let index = faults.firstIndex(where: { $0.operation.matches(operation) && $0.remaining > 0 }) else { return nil }
        if faults[index].skip > 0 {
            faults[index].skip -= 1
            return nil
        }
        faults[index].remaining -= 1
        let fault = faults[index].fault
        if faults[index].remaining == 0 { faults.remove(at: index) }
        return fault
    }

    // MARK: Hostile answers

    /// Makes the next `addPassword` answer say `answer` (each call queues one more).
    func queueHostileAnswer(_ answer: HostileAnswer) {
        hostileAnswers.append(answer)
    }

    /// The next queued hostile answer, counted as used.
    func takeHostileAnswer() -> HostileAnswer? {
        hostileAnswers.isEmpty ? nil : hostileAnswers.removeFirst()
    }

    // MARK: Request log

    func record(_ request: RecordedRequest) {
        if log.count >= logLimit { log.removeFirst(log.count - logLimit + 1) }
        log.append(request)
    }

    func requests() -> [RecordedRequest] {
        log
    }

    func clearRequests() {
        log.removeAll()
    }
}

import ClientSecrets
import CryptoPrimitives
import Foundation
import Rotation

/// Creates, lists and removes an Entra ID app's client secrets through Microsoft Graph, as a
/// separate *rotator* app, and proves a new secret works by signing in as the app.
///
/// The rotator needs the least privilege that allows this: the Graph application permission
/// `Application.ReadWrite.OwnedBy`, and to be an owner of every app it rotates
/// (`Application.ReadWrite.All` works too, but reaches every app in the tenant).
///
/// Entra ID keeps the previous secret valid while a new one exists, so rotations overlap.
/// Every method is safe to repeat: removing a secret that is already gone succeeds, and a
/// secret created by an attempt whose answer was lost is found by its display name. Errors are
/// ``RotationFailure`` values whose text names Graph's error code or the AADSTS code, never a
/// secret or a request body.
public struct EntraIDIssuer: Issuer {
    /// The app whose secrets are managed.
    public let app: App
    /// The rotator's client id.
    public let rotatorClientID: String
    /// The tenant the rotator signs in to (the app's tenant unless told otherwise).
    public let rotatorTenant: String
    /// Where the app's cloud signs in and serves Graph.
    public let endpoints: EntraEndpoints
    /// The shared connection and token cache.
    public let session: GraphSession
    /// How long a new secret is given to replicate during ``verify(keyID:value:)``.
    public let verification: VerificationPolicy
    /// How much longer than its overlap a previous secret still in use is kept (see
    /// ``Rotation/CredentialUsageReport``); a week unless the run says otherwise.
    public var usageGrace: TimeInterval = 7 * 86_400
    let rotator: ClientCredentials
    /// The app's own current certificate, when the app signs in with one: the issuer then rolls
    /// certificates instead of secrets (Graph's `addKey` and `removeKey`, each with a proof of
    /// possession signed by this certificate). See ``EntraIDIssuer/createCertificate(_:signing:)``.
    public var ownCertificate: SigningCertificate?
    /// The size of the RSA keys made when rolling certificates.
    public var certificateBits = RSAPrivateKey.defaultBits
    /// The SHA-1 thumbprints (uppercase hex) of the certificates the vault holds for the app, by
    /// the vault's key ID: a certificate is removed at Entra ID only as the key credential with
    /// its thumbprint, whatever key ID the vault recorded (one `cert new` made up, or one typed).
    public var certificateThumbprints: [String: String] = [:]
    /// Thumbprints never removed: the vault's current certificate (and the one that signs the
    /// proof, always).
    public var protectedThumbprints: Set<String> = []

    /// Entra ID keeps the previous secret valid: always `true`.
    public var keepsPreviousSecret: Bool { true }

    /// Creates the issuer of `app`, acting as the rotator `rotatorClientID`, which signs in with
    /// `rotatorCredential`: a secret, or (as Microsoft recommends) a certificate whose client
    /// assertion replaces the secret in every token request.
    ///
    /// - Parameters:
    ///   - rotatorTenant: the tenant the rotator signs in to; `nil` for the app's tenant.
    ///   - endpoints: the app's cloud endpoints, usually `try EntraEndpoints(cloud: app.cloud)`.
    ///   - session: the session shared by every issuer of this run.
    public init(
        app: App, rotatorClientID: String, rotatorCredential: SignInCredential, rotatorTenant: String? = nil,
        endpoints: EntraEndpoints, session: GraphSession, verification: VerificationPolicy = .standard
    ) {
        self.app = app
        self.rotatorClientID = rotatorClientID.lowercased()
        self.rotatorTenant = (rotatorTenant ?? app.tenant).lowercased()
        self.endpoints = endpoints
        self.session = session
        self.verification = verification
        rotator = ClientCredentials(clientID: self.rotatorClientID, tenant: self.rotatorTenant, proof: rotatorCredential)
    }

    /// Creates the issuer of `app`, acting as the rotator `rotatorClientID` with `rotatorSecret`.
    public init(
        app: App, rotatorClientID: String, rotatorSecret: SecureBytes, rotatorTenant: String? = nil,
        endpoints: EntraEndpoints, session: GraphSession, verification: VerificationPolicy = .standard
    ) {
        self.init(
            app: app, rotatorClientID: rotatorClientID, rotatorCredential: .secret(rotatorSecret), rotatorTenant: rotatorTenant,
            endpoints: endpoints, session: session, verification: verification)
    }

    /// Creates the issuer of `app` with the endpoints of its cloud and the overrides in `environment`.
    ///
    /// - Throws: ``RotationFailure/misconfigured(_:)`` when an endpoint override is not acceptable.
    public init(
        app: App, rotatorClientID: String, rotatorSecret: SecureBytes, rotatorTenant: String? = nil,
        session: GraphSession, verification: VerificationPolicy = .standard,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.init(
            app: app, rotatorClientID: rotatorClientID, rotatorSecret: rotatorSecret, rotatorTenant: rotatorTenant,
            endpoints: try EntraEndpoints(cloud: app.cloud, environment: environment), session: session, verification: verification
        )
    }

    // MARK: Issuer

    /// Adds a password credential named `request.displayName` that ends at `request.expires`
    /// (`addPassword`) and returns its value, which Graph gives only this once.
    ///
    /// When an earlier attempt of this call may have created a secret whose answer was lost (a
    /// timeout, a dropped connection or a 5xx before the retry that succeeded), the other
    /// secrets with the same display name that started during this call are removed: their
    /// values were never seen, so nothing can use them.
    public func createSecret(_ request: SecretRequest) async throws -> IssuedSecret {
        if let ownCertificate { return try await createCertificate(request, signing: ownCertificate) }
        let started = Date()
        return try await guarded {
            let body = try Self.json(["passwordCredential": [
                "displayName": request.displayName,
                "endDateTime": DateParser.format(request.expires),
            ]])
            var exchange = try await callOnApplication(action: "addPassword", body: body, operation: "addPassword")
            guard exchange.response.status == 200 else {
                throw graphFailure(ServiceError(status: exchange.response.status, body: exchange.response.body), operation: "add a secret to", lifetimeOf: request)
            }
            var answer = exchange.response.body
            exchange.response.body = Data()
            defer { answer.wipe() }
            guard let value = SecretTextReader.secretText(in: answer) else {
                throw RotationFailure.unexpectedResponse("addPassword for app \(app.appID) answered without a secretText")
            }
            guard let credential = try? JSONDecoder().decode(GraphPasswordCredential.self, from: answer) else {
                throw RotationFailure.unexpectedResponse("addPassword for app \(app.appID) answered without a keyId")
            }
            // A date Graph wrote that is not a date is refused, not replaced by the one asked for:
            // the rotation engine checks the rest (``Rotation/IssuedSecretCheck``).
            if credential.endDateTime != nil && credential.end == nil || credential.startDateTime != nil && credential.start == nil {
                throw RotationFailure.invalidAnswer("addPassword for app \(app.appID) answered a start or end date that is not a date")
            }
            if exchange.earlierAttemptMayHaveSucceeded {
                await removeDuplicates(of: request.displayName, keeping: credential.keyId, createdAfter: started)
            }
            return IssuedSecret(
                keyID: credential.keyId, value: value, validFrom: credential.start,
                expires: credential.end ?? request.expires, displayName: credential.displayName ?? request.displayName
            )
        }
    }

    /// Removes the password credential `keyID` (`removePassword`); succeeds when the app no
    /// longer holds it, whatever Graph answered.
    public func removeSecret(keyID: String) async throws {
        _ = try await removeSecretReporting(keyID: keyID)
    }

    /// Removes the password credential `keyID` and says whether the app held it.
    public func removeSecretReporting(keyID: String) async throws -> SecretRemoval {
        if let ownCertificate {
            let application = try await guarded { try await readApplication() }
            if let thumbprint = certificateThumbprints[keyID.lowercased()] {
                // The vault's certificate: removed as every key credential with its thumbprint
                // (a retried addKey may have added it twice); "not held" only when Entra ID holds
                // none, never because a key ID differs.
                let held = Self.keyCredentials(withThumbprint: thumbprint, in: application)
                guard !held.isEmpty else { return .notHeld }
                for credential in held { _ = try await removeCertificate(keyID: credential.keyId, signing: ownCertificate) }
                return .removed
            }
            if let held = application.keyCredentials?.first(where: { $0.keyId.lowercased() == keyID.lowercased() }) {
                return try await removeCertificate(keyID: held.keyId, signing: ownCertificate)
            }
        }
        return try await guarded {
            let body = try Self.json(["keyId": keyID.lowercased()])
            let exchange = try await callOnApplication(action: "removePassword", body: body, operation: "removePassword")
            let status = exchange.response.status
            if (200..<300).contains(status) { return .removed }
            let error = ServiceError(status: status, body: exchange.response.body)
            if status == 400 || status == 404 {
                // Graph's answer for a key id the app does not hold is not documented: look.
                let current = try await readApplication()
                if !(current.passwordCredentials ?? []).contains(where: { $0.keyId.lowercased() == keyID.lowercased() }) {
                    // Never "not held" for a certificate the app still has: the vault would call it retired.
                    if (current.keyCredentials ?? []).contains(where: { $0.keyId.lowercased() == keyID.lowercased() }) {
                        throw RotationFailure.misconfigured(
                            "key \(keyID.lowercased()) of app \(app.label) is a certificate: only an app that signs in with a certificate of its own removes its certificates (removeKey); remove it in the portal")
                    }
                    return .notHeld
                }
            }
            throw graphFailure(error, operation: "remove secret \(keyID.lowercased()) from")
        }
    }

    /// The app's secrets whose display name contains `marker`, read from Graph.
    public func secrets(markedWith marker: String) async throws -> [IssuedSecretInfo] {
        try await guarded {
            let application = try await readApplication()
            if ownCertificate != nil {
                return (application.keyCredentials ?? [])
                    .filter { $0.displayName?.contains(marker) ?? false }
                    .map { IssuedSecretInfo(keyID: $0.keyId, displayName: $0.displayName, expires: $0.end) }
            }
            return (application.passwordCredentials ?? [])
                .filter { $0.displayName?.contains(marker) ?? false }
                .map { IssuedSecretInfo(keyID: $0.keyId, displayName: $0.displayName, expires: $0.end) }
        }
    }

    // MARK: Graph calls

    /// Reads the application by its app id and remembers its object id.
    func readApplication() async throws -> GraphApplication {
        guard Validation.isGUID(app.appID) else {
            throw RotationFailure.misconfigured("app \(app.label): the app id \"\(app.appID.prefix(64))\" is not a GUID")
        }
        guard let url = endpoints.graphURL("applications(appId='\(app.appID)')", query: "$select=id,appId,displayName,passwordCredentials,keyCredentials") else {
            throw RotationFailure.misconfigured("cannot build a Graph URL from \(endpoints.graph.absoluteString)")
        }
        let exchange = try await call("GET", url, operation: "reading app \(app.appID)")
        guard exchange.response.status == 200 else {
            throw graphFailure(ServiceError(status: exchange.response.status, body: exchange.response.body), operation: "read")
        }
        guard let application = try? JSONDecoder().decode(GraphApplication.self, from: exchange.response.body) else {
            throw RotationFailure.unexpectedResponse("Graph's answer for app \(app.appID) is not an application")
        }
        await session.cache.setObjectID(application.id, for: objectKey)
        return application
    }

    /// POSTs `body` to `applications/{object id}/{action}`; when a remembered object id is no
    /// longer found, looks the app up again once.
    func callOnApplication(action: String, body: Data, operation: String) async throws -> GraphSession.Exchange {
        try await callOnApplication(action: action, operation: operation) { _ in body }
    }

    /// POSTs the body `body(objectID)` builds (a proof of possession names the object id) to
    /// `applications/{object id}/{action}`; when a remembered object id is no longer found,
    /// looks the app up again once.
    func callOnApplication(action: String, operation: String, body: (String) throws -> Data) async throws -> GraphSession.Exchange {
        var cached = await session.cache.objectID(for: objectKey)
        while true {
            let objectID: String
            if let cached { objectID = cached } else { objectID = try await readApplication().id }
            guard Validation.isGUID(objectID), let url = endpoints.graphURL("applications/\(objectID)/\(action)") else {
                throw RotationFailure.misconfigured("cannot build a Graph URL from \(endpoints.graph.absoluteString) for app \(app.appID)")
            }
            let exchange = try await call("POST", url, body: try body(objectID), operation: "\(operation) for app \(app.appID)")
            if exchange.response.status == 404, cached != nil {
                await session.cache.setObjectID(nil, for: objectKey)
                cached = nil
                continue
            }
            return exchange
        }
    }

    private func call(_ method: String, _ url: URL, body: Data? = nil, operation: String) async throws -> GraphSession.Exchange {
        try await session.graph(method, url, json: body, as: rotator, endpoints: endpoints, operation: operation)
    }

    /// Removes secrets named `displayName` other than `keyID` that started after `date` (less
    /// two minutes for clock skew): left by attempts whose answer was lost. Best effort: the
    /// rotation engine's marker lookup remains the backstop.
    private func removeDuplicates(of displayName: String, keeping keyID: String, createdAfter date: Date) async {
        guard let application = try? await readApplication() else { return }
        let earliest = date.addingTimeInterval(-120)
        for credential in application.passwordCredentials ?? []
        where credential.displayName == displayName && credential.keyId.lowercased() != keyID.lowercased()
            && Validation.isGUID(credential.keyId) && (credential.start.map { $0 >= earliest } ?? false) {
            try? await removeSecret(keyID: credential.keyId)
        }
    }

    private var objectKey: SessionCache.ObjectKey {
        SessionCache.ObjectKey(graph: endpoints.graph.absoluteString, tenant: app.tenant, appID: app.appID)
    }

    static func json(_ object: [String: Any]) throws -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        } catch {
            throw RotationFailure.unexpectedResponse("cannot encode a Graph request: \(error)")
        }
    }
}

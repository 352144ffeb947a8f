import ClientSecrets
import CryptoPrimitives
import Foundation
import HTTPClient
import Rotation

/// Reads which applications (app registrations) and service principals the tenant has and their
/// credentials' metadata, a round at a time, through Microsoft Graph's delta query, as a
/// *scanner* app that holds `Application.Read.All`.
///
/// A round follows `@odata.nextLink` to the `@odata.deltaLink` that starts the next one. Links
/// are followed only to the Graph endpoint the inventory was made for: a link to anywhere else
/// would carry the scanner's token there. Throttling and transient failures are retried as every
/// Graph call is (``RetryPolicy``); a delta link Graph no longer accepts starts a full round.
public struct TenantInventory: TenantReader {
    /// The scanner's client id.
    public let scannerClientID: String
    /// The tenant it signs in to and reads.
    public let tenant: String
    /// Where the tenant's cloud signs in and serves Graph.
    public let endpoints: EntraEndpoints
    /// The shared connection and token cache.
    public let session: GraphSession
    /// At most this many pages in one round: a server that never ends a round is cut off.
    public var maximumPages = 10_000
    let scanner: ClientCredentials

    static let select = "id,appId,displayName,passwordCredentials,keyCredentials"

    /// An inventory of `tenant` read as the scanner `scannerClientID`, signing in with
    /// `scannerCredential` (a secret or a certificate).
    public init(scannerClientID: String, scannerCredential: SignInCredential, tenant: String, endpoints: EntraEndpoints, session: GraphSession) {
        self.scannerClientID = scannerClientID.lowercased()
        self.tenant = tenant.lowercased()
        self.endpoints = endpoints
        self.session = session
        scanner = ClientCredentials(clientID: self.scannerClientID, tenant: self.tenant, proof: scannerCredential)
    }

    /// An inventory of `tenant` read as the scanner `scannerClientID` with `scannerSecret`.
    public init(scannerClientID: String, scannerSecret: SecureBytes, tenant: String, endpoints: EntraEndpoints, session: GraphSession) {
        self.init(scannerClientID: scannerClientID, scannerCredential: .secret(scannerSecret), tenant: tenant, endpoints: endpoints, session: session)
    }

    /// Reads one round of app registrations (`holder` `.application`) or service principals:
    /// what changed since `deltaLink` (from the last round of the same), or every one when it is
    /// `nil` or Graph no longer accepts it.
    ///
    /// - Throws: ``RotationFailure`` saying what Graph refused, or that a link led elsewhere.
    public func changes(of holder: CredentialHolder = .application, since deltaLink: String? = nil) async throws -> TenantChanges {
        do {
            return try await readRound(Collection(holder), since: deltaLink)
        } catch let failure as RotationFailure {
            // No text from a server or a transport reaches the caller with the scanner's secret in it.
            throw RotationFailure(failure.code, SecretScrubber.scrub(failure.reason, removing: scanner.scrubbable))
        }
    }

    /// A Graph collection with a delta query, and how messages name it.
    struct Collection {
        let holder: CredentialHolder
        let path: String
        let plural: String

        init(_ holder: CredentialHolder) {
            self.holder = holder
            (path, plural) = holder == .application ? ("applications", "applications") : ("servicePrincipals", "service principals")
        }
    }

    private func readRound(_ collection: Collection, since deltaLink: String?) async throws -> TenantChanges {
        if let deltaLink {
            do {
                return try await round(collection, from: try followable(deltaLink, in: collection), full: false)
            } catch let expired as ExpiredDeltaLink {
                var changes = try await round(collection, from: try start(collection), full: true)
                changes.resyncReason = expired.reason
                return changes
            }
        }
        return try await round(collection, from: try start(collection), full: true)
    }

    /// Graph no longer accepts a round's link: 400 `syncStateNotFound` (identity resources,
    /// after seven days) or 410 (`resyncRequired`).
    struct ExpiredDeltaLink: Error {
        let reason: String
    }

    private func start(_ collection: Collection) throws -> URL {
        let select = collection.holder == .application ? Self.select : Self.select + ",servicePrincipalType"
        guard let url = endpoints.graphURL(collection.path + "/delta", query: "$select=" + select) else {
            throw RotationFailure.misconfigured("the Graph endpoint \(endpoints.graph) makes no valid delta URL")
        }
        return url
    }

    /// `link` as a URL, if it points at this inventory's Graph endpoint and the collection's delta query.
    func followable(_ link: String, in collection: Collection = Collection(.application)) throws -> URL {
        let base = endpoints.graph
        guard let url = URL(string: link), url.scheme?.lowercased() == base.scheme?.lowercased(),
              url.host?.lowercased() == base.host?.lowercased(), url.port == base.port,
              url.path.hasPrefix(base.path + "/v1.0/\(collection.path)/delta")
        else {
            let host = URL(string: link)?.host ?? "an unreadable address"
            throw RotationFailure.unexpectedResponse(
                "Graph gave a link to \(host), not to its own delta query at \(base.host ?? base.absoluteString): not followed, since it would carry the scanner's token there")
        }
        return url
    }

    private func round(_ collection: Collection, from first: URL, full: Bool) async throws -> TenantChanges {
        var url = first
        var applications: [TenantApplication] = []
        var removed: [String] = []
        var seen: Set<String> = []
        for page in 1...maximumPages {
            let response = try await get(url, reading: "the tenant's \(collection.plural)")
            guard response.status == 200 else {
                let error = ServiceError(status: response.status, body: response.body)
                if !full, page == 1, response.status == 410 || (response.status == 400 && error.code == "syncStateNotFound") {
                    throw ExpiredDeltaLink(reason: error.summary)
                }
                throw failure(error, collection)
            }
            let decoded: GraphDeltaPage
            do {
                decoded = try JSONDecoder().decode(GraphDeltaPage.self, from: response.body)
            } catch {
                throw RotationFailure.unexpectedResponse("Graph answered the tenant's \(collection.plural) with a page this version cannot read")
            }
            for item in decoded.value {
                if item.removed != nil {
                    removed.append(item.id.lowercased())
                } else {
                    applications.append(Self.application(item))  // a service principal too: the same fields
                }
            }
            if let deltaLink = decoded.deltaLink {
                _ = try followable(deltaLink, in: collection)
                return TenantChanges(
                    holder: collection.holder, applications: applications, removedObjectIDs: removed, deltaLink: deltaLink, isFullRound: full, resyncReason: nil, pages: page)
            }
            guard let next = decoded.nextLink else {
                throw RotationFailure.unexpectedResponse("Graph ended a page of the tenant's \(collection.plural) with neither a next page nor a delta link")
            }
            guard seen.insert(next).inserted else {
                throw RotationFailure.unexpectedResponse("Graph sent the same next-page link twice: the round is not read further")
            }
            url = try followable(next, in: collection)
        }
        throw RotationFailure.unexpectedResponse("Graph's round of the tenant's \(collection.plural) did not end within \(maximumPages) pages")
    }

    /// `GET url` as the scanner; a token the scanner cannot get is said as such.
    func get(_ url: URL, reading what: String) async throws -> HTTPResponse {
        do {
            return try await session.graph("GET", url, as: scanner, endpoints: endpoints, operation: "reading \(what)").response
        } catch let refusal as GraphSession.TokenRefused {
            throw RotationFailure.authenticationFailed(
                "\(refusal.authority) refused the scanner \(scannerClientID): \(refusal.error.summary). Store a valid secret for the scanner app, then retry.")
        }
    }

    func failure(_ error: ServiceError, _ collection: Collection) -> RotationFailure {
        switch error.status {
        case 401, 403:
            return .permissionDenied(
                "the scanner \(scannerClientID) may not read the \(collection.plural) of tenant \(tenant): \(error.summary). "
                    + "Grant it the Microsoft Graph application permission Application.Read.All with admin consent.")
        default:
            return .unexpectedResponse("Graph refused to list the \(collection.plural) of tenant \(tenant): \(error.summary)")
        }
    }

    /// The item as the vault sees it. A token-signing certificate (Graph's `addTokenSigningCertificate`
    /// on a SAML enterprise app) is listed as three credentials sharing `customKeyIdentifier`: its
    /// public key (`Verify`), its private key (`Sign`) and the password of the private key (a
    /// `passwordCredential` with the `Sign` key's key id). They are one certificate to whoever
    /// watches it expire: the `Verify` entry stands for it, and the other two are left out.
    ///
    /// An update in a delta round may list the passwords without the keys ("at least the changed
    /// properties"), so a password is also known for a private key's by its own
    /// `customKeyIdentifier`, the certificate's thumbprint (20 bytes): a client secret has none.
    static func application(_ item: GraphDeltaItem) -> TenantApplication {
        let keys = item.keyCredentials ?? []
        let verified = Set(keys.filter { $0.usage == "Verify" }.compactMap(\.customKeyIdentifier))
        let signing = keys.filter { $0.usage == "Sign" && $0.customKeyIdentifier.map(verified.contains) == true }
        let signingKeyIDs = Set(signing.map { $0.keyId.lowercased() })
        let isSigningPassword = { (password: GraphPasswordCredential) -> Bool in
            if signingKeyIDs.contains(password.keyId.lowercased()) { return true }
            guard let identifier = password.customKeyIdentifier, let bytes = Data(base64Encoded: identifier) else { return false }
            return verified.contains(identifier) || (item.keyCredentials == nil && bytes.count == 20)
        }
        return TenantApplication(
            objectID: item.id.lowercased(), appID: item.appId?.lowercased(), displayName: item.displayName,
            secrets: item.passwordCredentials.map { list in
                list.filter { !isSigningPassword($0) }.map {
                    TenantCredential(kind: .secret, keyID: $0.keyId.lowercased(), displayName: $0.displayName, hint: $0.hint, start: $0.start, end: $0.end)
                }
            },
            certificates: item.keyCredentials.map { list in
                list.filter { !($0.usage == "Sign" && signingKeyIDs.contains($0.keyId.lowercased())) }.map { credential in
                    TenantCredential(
                        kind: .certificate, keyID: credential.keyId.lowercased(), displayName: credential.displayName,
                        thumbprint: credential.customKeyIdentifier.flatMap { Data(base64Encoded: $0) }.map { Hex.encode($0, uppercase: true) },
                        start: credential.startDateTime.flatMap(RFC3339Timestamp.parse), end: credential.endDateTime.flatMap(RFC3339Timestamp.parse))
                }
            },
            servicePrincipalType: item.servicePrincipalType)
    }
}

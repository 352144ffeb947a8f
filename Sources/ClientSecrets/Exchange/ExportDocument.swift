import Foundation

/// The JSON document `secrets export` encrypts: the whole vault, values included, in a stable,
/// versioned shape (described in the README) that the stock `age -d` can recover.
public struct ExportDocument: Sendable, Hashable, Codable {
    /// The format name, always `secrets-export`.
    public var format: String
    /// The format version; readers refuse versions they do not know.
    public var version: Int
    /// When the export was made.
    public var exportedAt: Date
    /// The id of the vault it came from.
    public var vaultID: String
    /// Every app with its credentials.
    public var apps: [ExportedApp]

    /// The value of ``format``.
    public static let formatName = "secrets-export"
    /// The newest version this build writes and reads. Version 2 adds apps' `owners` and
    /// credentials' `holder`; a document without either is still written as version 1, so that
    /// an older `secrets` imports it, and one with them refuses it instead of dropping them.
    /// Version 3 adds a certificate's `certificate` (thumbprint, subject, DER), whose value is
    /// its private key.
    public static let currentVersion = 3

    /// Creates a document.
    public init(exportedAt: Date, vaultID: String, apps: [ExportedApp]) {
        self.format = Self.formatName
        self.version = apps.contains { $0.credentials.contains { $0.certificate != nil } } ? 3
            : apps.contains { $0.owners != nil || $0.credentials.contains { $0.holder != nil } } ? 2 : 1
        self.exportedAt = exportedAt
        self.vaultID = vaultID
        self.apps = apps
    }

    /// Every app's ``App/actions``, in document order: what importing the document would let
    /// it make an admin do.
    public var actions: [AppAction] { apps.flatMap(\.app.actions) }

    /// Encodes the document as pretty-printed JSON with sorted keys and RFC 3339 dates.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Decodes and checks a document.
    public static func decode(_ data: Data) throws -> ExportDocument {
        let decoder = JSONDecoder()
        // Only what `encoded()` writes: a timestamp the encoder would write differently (a
        // fraction, a one-digit second) would not survive import → export unchanged.
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let style = Date.ISO8601FormatStyle()
            guard let date = try? style.parse(text), style.format(date) == text else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "expected an RFC 3339 UTC time such as 2027-05-31T00:00:00Z"))
            }
            return date
        }
        let document: ExportDocument
        do {
            document = try decoder.decode(ExportDocument.self, from: data)
        } catch let error as DecodingError {
            throw VaultError.invalidDocument(reason: "not a secrets export: \(Self.describe(error))")
        }
        guard document.format == formatName else {
            throw VaultError.invalidDocument(reason: "format is \"\(document.format.prefix(40))\", expected \"\(formatName)\"")
        }
        guard (1...currentVersion).contains(document.version) else {
            throw VaultError.invalidDocument(reason: "export version \(document.version); this build reads versions 1 to \(currentVersion)")
        }
        return document
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not JSON" : "\(path(context)) is malformed"
        @unknown default: return "unreadable"
        }
    }
}

/// One app in an export.
public struct ExportedApp: Sendable, Hashable, Codable {
    /// The label.
    public var label: String
    /// The client ID.
    public var appId: String
    /// The tenant domain or GUID.
    public var tenant: String
    /// `global`, `usgov`, `usgov-dod` or `china`.
    public var cloud: Cloud
    /// `entra-id`, `jamf-pro-api-client` or `manual`.
    public var issuer: IssuerKind
    /// The label of the app whose secret authenticates to the issuer; absent when none.
    public var rotator: String?
    /// A Jamf Pro API client's server and integration id; absent for other issuers.
    public var jamfProIssuer: JamfProIssuerSettings?
    /// The settings of other issuers by key (see ``IssuerKind/settings``); absent when none.
    public var issuerSettings: [String: String]?
    /// Who uses the secret.
    public var consumers: [Consumer]
    /// New secrets' lifetime, in seconds.
    public var lifetimeSeconds: Int
    /// How long before expiry rotation is due, in seconds.
    public var rotateBeforeSeconds: Int
    /// How long the previous secret stays valid, in seconds.
    public var overlapSeconds: Int
    /// Tags.
    public var tags: [String]
    /// Notes.
    public var notes: String
    /// Added to the display name of the secrets rotations create; absent when none.
    public var secretDescription: String?
    /// The app's credentials.
    public var credentials: [ExportedCredential]
    /// `true` for an app `secrets sync` found in the tenant and only monitors; absent otherwise.
    public var monitored: Bool?
    /// The application's object id in the tenant, as `secrets sync` recorded it; absent otherwise.
    public var objectId: String?
    /// Its owners, as `secrets sync --owners` last read them; absent when never read.
    public var owners: [AppOwner]?

    /// The app this entry describes.
    public var app: App {
        App(
            label: label, appID: appId, tenant: tenant, cloud: cloud, issuer: issuer, rotator: rotator, jamfProIssuer: jamfProIssuer,
            issuerSettings: issuerSettings ?? [:], consumers: consumers,
            policy: RotationPolicy(
                lifetime: TimeInterval(lifetimeSeconds), rotateBefore: TimeInterval(rotateBeforeSeconds), overlap: TimeInterval(overlapSeconds)),
            tags: tags, notes: notes, secretDescription: secretDescription, monitored: monitored ?? false, objectID: objectId,
            owners: owners)
    }

    /// Describes `app` with `credentials`.
    public init(app: App, credentials: [ExportedCredential]) {
        label = app.label
        appId = app.appID
        tenant = app.tenant
        cloud = app.cloud
        issuer = app.issuer
        rotator = app.rotator
        jamfProIssuer = app.jamfProIssuer
        issuerSettings = app.otherIssuerSettings.isEmpty ? nil : app.otherIssuerSettings
        consumers = app.consumers
        lifetimeSeconds = Int(app.policy.lifetime)
        rotateBeforeSeconds = Int(app.policy.rotateBefore)
        overlapSeconds = Int(app.policy.overlap)
        tags = app.tags
        notes = app.notes
        secretDescription = app.secretDescription
        self.credentials = credentials
        monitored = app.monitored ? true : nil
        objectId = app.objectID
        owners = app.owners
    }
}

/// One credential in an export; `value` is `null` when the vault never held it.
public struct ExportedCredential: Sendable, Hashable, Codable {
    /// The key ID.
    public var keyId: String
    /// The first three characters of the value.
    public var hint: String
    /// When it was recorded.
    public var created: Date
    /// When it starts to work.
    public var validFrom: Date
    /// When it stops working, if ever.
    public var expires: Date?
    /// `pending`, `current`, `previous` or `retired`.
    public var state: CredentialState
    /// The issuer's display name.
    public var displayName: String?
    /// When a `previous` credential is due to be retired.
    public var retireAfter: Date?
    /// The secret value.
    public var value: String?
    /// `certificate` for a certificate; absent for a secret.
    public var type: CredentialKind?
    /// A certificate's SHA-1 thumbprint; absent for a secret.
    public var thumbprint: String?
    /// `servicePrincipal` for a service principal's credential; absent for the app registration's.
    public var holder: CredentialHolder?
    /// A certificate the vault made or imported (its `value` is then the PEM private key);
    /// absent otherwise.
    public var certificate: CertificateDetails?

    /// The metadata part.
    public var credential: Credential {
        Credential(
            keyID: keyId, hint: hint, created: created, validFrom: validFrom, expires: expires, state: state,
            displayName: displayName, retireAfter: retireAfter, kind: type ?? .secret, thumbprint: thumbprint,
            holder: holder ?? .application, certificate: certificate)
    }

    /// Describes `credential` with its value.
    public init(_ credential: Credential, value: String?) {
        keyId = credential.keyID
        hint = credential.hint
        created = credential.created
        validFrom = credential.validFrom
        expires = credential.expires
        state = credential.state
        displayName = credential.displayName
        retireAfter = credential.retireAfter
        self.value = value
        type = credential.kind == .secret ? nil : credential.kind
        thumbprint = credential.thumbprint
        holder = credential.holder == .application ? nil : credential.holder
        certificate = credential.certificate
    }
}

import Foundation

/// A credential of an application in the tenant, as Graph lists it: metadata only, never a value.
///
/// Graph's answers are not trusted: ``Vault/applyTenantRound(_:scanner:readFrom:now:)`` checks every
/// field before it stores one.
public struct TenantCredential: Sendable, Hashable {
    /// Whether it is a secret or a certificate.
    public var kind: CredentialKind
    /// Its key id (a lowercase GUID).
    public var keyID: String
    /// Its display name, if any (a certificate's is usually its subject).
    public var displayName: String?
    /// A secret's first three characters, as Graph reports them.
    public var hint: String?
    /// A certificate's SHA-1 thumbprint, as 40 uppercase hex digits.
    public var thumbprint: String?
    /// When it starts to be valid.
    public var start: Date?
    /// When it stops being valid.
    public var end: Date?

    /// A credential as Graph listed it.
    public init(kind: CredentialKind, keyID: String, displayName: String? = nil, hint: String? = nil, thumbprint: String? = nil, start: Date? = nil, end: Date? = nil) {
        self.kind = kind
        self.keyID = keyID
        self.displayName = displayName
        self.hint = hint
        self.thumbprint = thumbprint
        self.start = start
        self.end = end
    }
}

/// An application in the tenant, or what changed of it: `nil` for a property the answer left
/// out (an update in a delta round lists "at least the changed properties").
public struct TenantApplication: Sendable, Hashable {
    /// Its object id.
    public var objectID: String
    /// Its app (client) id.
    public var appID: String?
    /// Its display name.
    public var displayName: String?
    /// Its client secrets; `nil` when the answer did not list them.
    public var secrets: [TenantCredential]?
    /// Its certificates; `nil` when the answer did not list them.
    public var certificates: [TenantCredential]?
    /// A service principal's type (`Application`, `ManagedIdentity`, …); `nil` for an
    /// application, or when the answer did not list it.
    public var servicePrincipalType: String?

    /// An application as Graph listed it.
    public init(
        objectID: String, appID: String? = nil, displayName: String? = nil, secrets: [TenantCredential]? = nil, certificates: [TenantCredential]? = nil,
        servicePrincipalType: String? = nil
    ) {
        self.servicePrincipalType = servicePrincipalType
        self.objectID = objectID
        self.appID = appID
        self.displayName = displayName
        self.secrets = secrets
        self.certificates = certificates
    }
}

/// One round of the tenant's changes (`TenantInventory.changes(of:since:)` in module `EntraID`):
/// of its app registrations, or of its service principals.
public struct TenantChanges: Sendable {
    /// Whose credentials the round lists: the app registrations' (Graph's `applications`) or the
    /// service principals' (`servicePrincipals`, each listed as a ``TenantApplication`` whose
    /// object id is the service principal's).
    public var holder: CredentialHolder
    /// Objects new or changed since the round the link came from (every one, for a full round).
    public var applications: [TenantApplication]
    /// Object ids of the objects removed since then.
    public var removedObjectIDs: [String]
    /// The link of the next round: keep it, and pass it to the next call.
    public var deltaLink: String
    /// Whether this was a full round: no link was given, or Graph no longer accepted it.
    public var isFullRound: Bool
    /// Why a link was given and a full round read anyway (Graph's answer), if it was.
    public var resyncReason: String?
    /// Pages read.
    public var pages: Int

    /// A round as read.
    public init(
        holder: CredentialHolder = .application, applications: [TenantApplication], removedObjectIDs: [String], deltaLink: String, isFullRound: Bool,
        resyncReason: String? = nil, pages: Int
    ) {
        self.holder = holder
        self.applications = applications
        self.removedObjectIDs = removedObjectIDs
        self.deltaLink = deltaLink
        self.isFullRound = isFullRound
        self.resyncReason = resyncReason
        self.pages = pages
    }
}

/// An owner of an application, as Graph lists it (`$expand=owners`): unchecked until
/// ``Vault/applyTenantRound(_:servicePrincipals:owners:scanner:readFrom:now:)`` checks it.
public struct TenantOwner: Sendable, Hashable {
    /// Its object id.
    public var objectID: String
    /// Graph's `@odata.type`, such as `#microsoft.graph.user`.
    public var type: String?
    /// Its display name.
    public var displayName: String?
    /// A user's sign-in name.
    public var userPrincipalName: String?

    /// An owner as Graph listed it.
    public init(objectID: String, type: String?, displayName: String? = nil, userPrincipalName: String? = nil) {
        self.objectID = objectID
        self.type = type
        self.displayName = displayName
        self.userPrincipalName = userPrincipalName
    }
}

/// Every application's owners, read in full (Graph's delta query cannot expand them).
public struct TenantOwners: Sendable {
    /// Owners by the application's app ID.
    public var byAppID: [String: [TenantOwner]]
    /// Requests made to read them.
    public var requests: Int

    /// Owners as read.
    public init(byAppID: [String: [TenantOwner]], requests: Int) {
        self.byAppID = byAppID
        self.requests = requests
    }
}

import Foundation

/// What applying one round of the tenant's changes did to the vault.
public struct TenantSyncSummary: Sendable, Hashable, Codable {
    /// Whether the round read every application (the first sync, `--full`, or a delta link
    /// Graph no longer accepted).
    public var fullRound = false
    /// Why a full round was read although a delta link was kept, in Graph's words.
    public var resyncReason: String?
    /// Pages read from Graph.
    public var pages = 0
    /// Applications in the round (new or changed ones; every one for a full round).
    public var applicationsSeen = 0
    /// Whether service principals were read too (`--service-principals`).
    public var servicePrincipalsRead = false
    /// Whether their round read every one of them.
    public var servicePrincipalsFullRound = false
    /// Why their full round was read although a link was kept, in Graph's words.
    public var servicePrincipalsResyncReason: String?
    /// Pages of service principals read.
    public var servicePrincipalPages = 0
    /// Service principals in their round (new or changed ones; every one for a full round).
    public var servicePrincipalsSeen = 0
    /// Service principals of monitored apps removed from the tenant (their credentials retired).
    public var servicePrincipalsRemoved = 0
    /// Whether every application's owners were read (`--owners`).
    public var ownersRead = false
    /// Requests made to read them.
    public var ownerRequests = 0
    /// Apps whose owners the vault records differently now.
    public var ownersChanged = 0
    /// Applications registered in the vault, monitored only (found as an app registration or,
    /// for an app registered in another tenant, as its service principal).
    public var appsAdded = 0
    /// Monitored applications removed from the tenant (their credentials retired).
    public var appsRemoved = 0
    /// Credentials of monitored apps that appeared in the tenant.
    public var credentialsAdded = 0
    /// Credentials of monitored apps whose end date or display name changed.
    public var credentialsChanged = 0
    /// Credentials of monitored apps deleted in the tenant, kept as `retired`.
    public var credentialsRemoved = 0
    /// Where an app the vault manages differs from the tenant; reported, never changed (the
    /// first 200 lines; ``driftCount`` counts them all).
    public var drift: [String] = []
    /// How many differences there were.
    public var driftCount = 0
    /// What the round held that the vault refused to store (a field that is not what Graph
    /// documents), one line each, the first 200; the rest of the round is applied.
    public var refused: [String] = []
    /// How many refusals there were.
    public var refusedCount = 0

    /// An empty summary.
    public init() {}

    /// Whether the round changed nothing in the vault.
    public var changedNothing: Bool {
        appsAdded == 0 && appsRemoved == 0 && servicePrincipalsRemoved == 0 && credentialsAdded == 0 && credentialsChanged == 0 && credentialsRemoved == 0
    }
}

import Foundation

/// Where `secrets sync` left a tenant: kept per scanner app, sealed with the metadata key and
/// authenticated like every row, so only an admin's sync writes it.
public struct TenantSyncState: Sendable, Hashable, Codable {
    /// The tenant the scanner read.
    public var tenant: String
    /// The link that starts the next round (Graph's `@odata.deltaLink`); only ever followed to
    /// the scanner's own Graph endpoint (`TenantInventory` checks it).
    public var deltaLink: String
    /// When the last round was applied.
    public var lastRound: Date
    /// When the last full round (every application) was applied.
    public var lastFullRound: Date
    /// The object ids of the applications this scanner has seen in the tenant and not seen
    /// removed, sorted: a full round retires only the monitored apps among these that it no
    /// longer lists, so a scanner that sees part of the tenant never retires what another found.
    public var objectIDs: [String]
    /// The link that starts the next round of the tenant's service principals; `nil` until a
    /// sync with `--service-principals`.
    public var servicePrincipalDeltaLink: String?
    /// When the last round of service principals was applied; `nil` before the first.
    public var lastServicePrincipalRound: Date?
    /// When the last full round of service principals was applied.
    public var lastServicePrincipalFullRound: Date?
    /// The service principals this scanner has seen and not seen removed: their app IDs by
    /// object id. Graph names a removed service principal by its object id alone, and an
    /// update need not repeat its app ID.
    public var servicePrincipals: [String: String]

    /// A state as a round leaves it.
    public init(
        tenant: String, deltaLink: String, lastRound: Date, lastFullRound: Date, objectIDs: [String] = [],
        servicePrincipalDeltaLink: String? = nil, lastServicePrincipalRound: Date? = nil, lastServicePrincipalFullRound: Date? = nil,
        servicePrincipals: [String: String] = [:]
    ) {
        self.lastServicePrincipalRound = lastServicePrincipalRound
        self.tenant = tenant
        self.deltaLink = deltaLink
        self.lastRound = lastRound
        self.lastFullRound = lastFullRound
        self.objectIDs = objectIDs
        self.servicePrincipalDeltaLink = servicePrincipalDeltaLink
        self.lastServicePrincipalFullRound = lastServicePrincipalFullRound
        self.servicePrincipals = servicePrincipals
    }

    private enum CodingKeys: String, CodingKey {
        case tenant, deltaLink, lastRound, lastFullRound, objectIDs, servicePrincipalDeltaLink, lastServicePrincipalRound, lastServicePrincipalFullRound
        case servicePrincipals
    }

    /// Decodes a state; one without `objectIDs` or `servicePrincipals` knows none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), deltaLink: try container.decode(String.self, forKey: .deltaLink),
            lastRound: try container.decode(Date.self, forKey: .lastRound), lastFullRound: try container.decode(Date.self, forKey: .lastFullRound),
            objectIDs: try container.decodeIfPresent([String].self, forKey: .objectIDs) ?? [],
            servicePrincipalDeltaLink: try container.decodeIfPresent(String.self, forKey: .servicePrincipalDeltaLink),
            lastServicePrincipalRound: try container.decodeIfPresent(Date.self, forKey: .lastServicePrincipalRound),
            lastServicePrincipalFullRound: try container.decodeIfPresent(Date.self, forKey: .lastServicePrincipalFullRound),
            servicePrincipals: try container.decodeIfPresent([String: String].self, forKey: .servicePrincipals) ?? [:])
    }
}

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

    /// A state as a round leaves it.
    public init(tenant: String, deltaLink: String, lastRound: Date, lastFullRound: Date, objectIDs: [String] = []) {
        self.tenant = tenant
        self.deltaLink = deltaLink
        self.lastRound = lastRound
        self.lastFullRound = lastFullRound
        self.objectIDs = objectIDs
    }

    private enum CodingKeys: String, CodingKey {
        case tenant, deltaLink, lastRound, lastFullRound, objectIDs
    }

    /// Decodes a state; one without `objectIDs` knows none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try container.decode(String.self, forKey: .tenant), deltaLink: try container.decode(String.self, forKey: .deltaLink),
            lastRound: try container.decode(Date.self, forKey: .lastRound), lastFullRound: try container.decode(Date.self, forKey: .lastFullRound),
            objectIDs: try container.decodeIfPresent([String].self, forKey: .objectIDs) ?? [])
    }
}

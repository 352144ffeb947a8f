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

    /// A state as a round leaves it.
    public init(tenant: String, deltaLink: String, lastRound: Date, lastFullRound: Date) {
        self.tenant = tenant
        self.deltaLink = deltaLink
        self.lastRound = lastRound
        self.lastFullRound = lastFullRound
    }
}

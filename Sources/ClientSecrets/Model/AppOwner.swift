/// Someone who owns an app registration in Entra ID, as `secrets sync --owners` read it from
/// Graph: who to ask when its credentials are about to expire.
public struct AppOwner: Sendable, Hashable, Codable {
    /// What sort of directory object owns the app.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A person (Graph's `user`).
        case user
        /// Another app's service principal (an automation owning the app).
        case servicePrincipal
        /// Any other directory object.
        case other
    }

    /// The owner's object id in the tenant.
    public var objectID: String
    /// A user, a service principal or something else.
    public var kind: Kind
    /// A user's sign-in name (`userPrincipalName`), else the display name; `nil` when Graph
    /// gave neither in a form the vault keeps.
    public var name: String?

    private enum CodingKeys: String, CodingKey {
        case objectID = "objectId", kind, name
    }

    /// The most owners the vault keeps for one app.
    public static let maximumCount = 1_000

    /// An owner.
    public init(objectID: String, kind: Kind, name: String?) {
        self.objectID = objectID.lowercased()
        self.kind = kind
        self.name = name
    }

    /// Decodes an owner from an export document, normalised as ``init(objectID:kind:name:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            objectID: try container.decode(String.self, forKey: .objectID), kind: try container.decode(Kind.self, forKey: .kind),
            name: try container.decodeIfPresent(String.self, forKey: .name))
    }
}

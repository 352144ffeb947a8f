import Foundation

/// A page of a Graph listing: `GET /applications?$select=id,appId&$expand=owners(…)`
/// (``GraphOwnedApplication`` items) or `GET /applications/{id}/owners` (``GraphOwner`` items).
struct GraphListPage<Item: Decodable & Sendable>: Decodable, Sendable {
    var value: [Item]
    var nextLink: String?

    enum CodingKeys: String, CodingKey {
        case value, nextLink = "@odata.nextLink"
    }
}

/// An application with its expanded owners (Graph expands at most 20 of a relationship).
struct GraphOwnedApplication: Decodable, Sendable {
    var id: String
    var appId: String?
    var owners: [GraphOwner]?
}

/// A directory object that owns an application: a user or a service principal.
struct GraphOwner: Decodable, Sendable {
    var id: String
    var type: String?
    var displayName: String?
    var userPrincipalName: String?

    enum CodingKeys: String, CodingKey {
        case id, type = "@odata.type", displayName, userPrincipalName
    }
}

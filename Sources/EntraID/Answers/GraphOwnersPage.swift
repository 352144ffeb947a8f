import Foundation

/// A page of `GET /applications?$select=id,appId&$expand=owners(…)` (applications with their
/// owners) or of `GET /applications/{id}/owners` (owners alone, with `OwnerPage`).
struct GraphOwnedApplicationsPage: Decodable, Sendable {
    var value: [GraphOwnedApplication]
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

/// A page of one application's owners.
struct GraphOwnerPage: Decodable, Sendable {
    var value: [GraphOwner]
    var nextLink: String?

    enum CodingKeys: String, CodingKey {
        case value, nextLink = "@odata.nextLink"
    }
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

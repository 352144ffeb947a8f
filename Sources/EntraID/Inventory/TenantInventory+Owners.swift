import ClientSecrets
import Foundation
import Rotation

extension TenantInventory {
    /// Graph expands at most this many objects of a relationship: an application listed with
    /// this many owners may have more, and its owners are read on their own.
    static let expandLimit = 20

    static let ownerSelect = "id,displayName,userPrincipalName"

    /// Reads every application's owners: `GET /applications?$select=id,appId&$expand=owners(…)`
    /// in pages, then `GET /applications/{id}/owners` for an application listed with 20 (Graph's
    /// expansion limit). The delta query cannot expand owners, so this is a full read each time.
    ///
    /// - Throws: ``RotationFailure`` saying what Graph refused, or that a link led elsewhere.
    public func owners() async throws -> TenantOwners {
        do {
            return try await readOwners()
        } catch let failure as RotationFailure {
            throw RotationFailure(failure.code, SecretScrubber.scrub(failure.reason, removing: scanner.scrubbable))
        }
    }

    private func readOwners() async throws -> TenantOwners {
        let collection = Collection(.application)
        guard var url = endpoints.graphURL(
            "applications", query: "$select=id,appId&$expand=owners($select=\(Self.ownerSelect))&$top=999")
        else { throw RotationFailure.misconfigured("the Graph endpoint \(endpoints.graph) makes no valid applications URL") }
        var byAppID: [String: [TenantOwner]] = [:]
        var crowded: [(objectID: String, appID: String)] = []
        var requests = 0
        var seen: Set<String> = []
        while true {
            requests += 1
            guard requests <= maximumPages else {
                throw RotationFailure.unexpectedResponse("Graph's list of the tenant's applications and owners did not end within \(maximumPages) pages")
            }
            let page = try await get(url, as: GraphListPage<GraphOwnedApplication>.self, collection: collection, what: "the tenant's applications and their owners")
            for application in page.value {
                guard let appID = application.appId?.lowercased() else { continue }
                let owners = (application.owners ?? []).map(Self.owner)
                byAppID[appID] = owners
                if owners.count >= Self.expandLimit { crowded.append((application.id, appID)) }
            }
            guard let next = page.nextLink else { break }
            guard seen.insert(next).inserted else {
                throw RotationFailure.unexpectedResponse("Graph sent the same next-page link twice: the owners are not read further")
            }
            url = try ownLink(next, path: "/v1.0/applications")
        }
        for (objectID, appID) in crowded {
            // The id goes into a path: only a GUID does (it came from a server). Without it the
            // list is known to be partial, so none is recorded for the app.
            guard UUID(uuidString: objectID) != nil,
                  var next = endpoints.graphURL("applications/\(objectID.lowercased())/owners", query: "$select=\(Self.ownerSelect)&$top=999")
            else {
                byAppID[appID] = nil
                continue
            }
            var owners: [TenantOwner] = []
            var links: Set<String> = []
            while true {
                requests += 1
                guard requests <= maximumPages, owners.count <= AppOwner.maximumCount else {
                    throw RotationFailure.unexpectedResponse(
                        "Graph's owners of application \(objectID) did not end within \(maximumPages) requests or \(AppOwner.maximumCount) owners")
                }
                let page = try await get(next, as: GraphListPage<GraphOwner>.self, collection: collection, what: "the owners of application \(objectID)")
                owners += page.value.map(Self.owner)
                guard let link = page.nextLink else { break }
                guard links.insert(link).inserted else {
                    throw RotationFailure.unexpectedResponse("Graph sent the same next-page link twice for the owners of application \(objectID)")
                }
                next = try ownLink(link, path: "/v1.0/applications/\(objectID.lowercased())/owners")
            }
            byAppID[appID] = owners
        }
        return TenantOwners(byAppID: byAppID, requests: requests)
    }

    private static func owner(_ owner: GraphOwner) -> TenantOwner {
        TenantOwner(objectID: owner.id, type: owner.type, displayName: owner.displayName, userPrincipalName: owner.userPrincipalName)
    }

    private func get<Page: Decodable>(_ url: URL, as: Page.Type, collection: Collection, what: String) async throws -> Page {
        let response = try await get(url, reading: what)
        guard response.status == 200 else {
            throw failure(ServiceError(status: response.status, body: response.body), collection)
        }
        do {
            return try JSONDecoder().decode(Page.self, from: response.body)
        } catch {
            throw RotationFailure.unexpectedResponse("Graph answered \(what) with a page this version cannot read")
        }
    }

    /// `link` as a URL, if it points at this inventory's Graph endpoint and `path`.
    private func ownLink(_ link: String, path: String) throws -> URL {
        let base = endpoints.graph
        guard let url = URL(string: link), url.scheme?.lowercased() == base.scheme?.lowercased(),
              url.host?.lowercased() == base.host?.lowercased(), url.port == base.port, url.path == base.path + path
        else {
            throw RotationFailure.unexpectedResponse(
                "Graph gave a link to \(URL(string: link)?.host ?? "an unreadable address") for the next page of owners: not followed, since it would carry the scanner's token there")
        }
        return url
    }
}

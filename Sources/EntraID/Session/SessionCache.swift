import Foundation

/// What a ``GraphSession`` remembers between requests: access tokens (one per client, tenant,
/// login endpoint and scope, shared by every caller and fetched once even when many ask at the
/// same moment) and application object ids.
actor SessionCache {
    /// Which token: a token from one login endpoint, tenant, client, secret and scope serves
    /// only those. The secret is represented by its SHA-256 digest, so that a caller holding a
    /// wrong secret never borrows a token someone else obtained with the right one.
    struct TokenKey: Hashable, Sendable {
        var login: String
        var tenant: String
        var clientID: String
        var secretDigest: [UInt8]
        var scope: String
    }

    /// A token and when to stop using it (its expiry minus a margin).
    struct Token: Sendable {
        var value: String
        var refreshAt: Date
    }

    /// Which application: an app id means one object in one directory, seen through one Graph endpoint.
    struct ObjectKey: Hashable, Sendable {
        var graph: String
        var tenant: String
        var appID: String
    }

    private var tokens: [TokenKey: Token] = [:]
    private var pending: [TokenKey: Task<Token, any Error>] = [:]
    private var objectIDs: [ObjectKey: String] = [:]

    /// A valid token for `key`: the cached one, the one being fetched, or a new one from `fetch`.
    func token(for key: TokenKey, fetch: @escaping @Sendable () async throws -> Token) async throws -> String {
        if let token = tokens[key], token.refreshAt > Date() { return token.value }
        if let task = pending[key] { return try await task.value.value }
        let task = Task { try await fetch() }
        pending[key] = task
        do {
            let token = try await task.value
            tokens[key] = token
            pending[key] = nil
            return token.value
        } catch {
            pending[key] = nil
            throw error
        }
    }

    /// Forgets `value` if it is still the token cached for `key` (Graph refused it).
    func invalidate(_ key: TokenKey, value: String) {
        if tokens[key]?.value == value { tokens[key] = nil }
    }

    /// Forgets every token.
    func removeAllTokens() {
        tokens.removeAll()
    }

    /// Whether a run already said that the credential sign-in report is unavailable.
    private var usageFallbackSaid = false

    /// True the first time it is asked: the fallback to the overlap window is said once per run,
    /// and the issuers of one run share this session.
    func claimUsageFallbackNotice() -> Bool {
        defer { usageFallbackSaid = true }
        return !usageFallbackSaid
    }

    func objectID(for key: ObjectKey) -> String? {
        objectIDs[key]
    }

    func setObjectID(_ id: String?, for key: ObjectKey) {
        objectIDs[key] = id
    }
}

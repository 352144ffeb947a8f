import Foundation

/// One request the emulator answered, as it was seen on the wire minus any body: secrets travel
/// in bodies only, so nothing here may ever hold one.
public struct RecordedRequest: Sendable, Hashable {
    /// The HTTP method.
    public var method: String
    /// The path, percent-decoded (for example `/v1.0/applications(appId='…')`).
    public var path: String
    /// The query string, percent-decoded (for example `$filter=appId eq '…'`), empty when absent.
    public var query: String
    /// The status sent; 0 when the connection was dropped without a response.
    public var status: Int
    /// The operation, `nil` for a path the emulator does not know.
    public var operation: EntraOperation?
    /// The caller's client id: the `client_id` of a token request, the token's owner for Graph.
    public var clientID: String?
    /// When the request arrived.
    public var time: Date
}

import Foundation

/// What a finished exchange returned: a final (non-redirect) status, the headers and a body no
/// larger than the transport's limit.
public struct HTTPResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The response headers, as the server spelled their names.
    public var headers: [String: String]
    /// The body, decompressed if the server compressed it anyway.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One recipient stanza of an age header: a type, arguments, and a binary body.
///
/// A ``AgeRecipient`` produces stanzas when it wraps a file key; an ``AgeIdentity`` reads them.
public struct Stanza: Sendable, Hashable {
    /// The stanza type, the first argument on the `->` line (for example `X25519`).
    public var type: String
    /// The arguments after the type.
    public var arguments: [String]
    /// The decoded body.
    public var body: [UInt8]

    /// Creates a stanza. Type and arguments must be non-empty strings of visible ASCII.
    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }
}

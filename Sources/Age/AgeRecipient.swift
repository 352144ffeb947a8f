/// Something a file key can be encrypted to: it wraps the file key into header stanzas.
public protocol AgeRecipient: Sendable {
    /// Wraps `fileKey` into one or more stanzas for the header.
    func wrap(_ fileKey: FileKey) throws -> [Stanza]

    /// True when this recipient must be the only one in a file (age's scrypt rule: a passphrase
    /// file that other keys could also open would be a surprise to whoever typed the passphrase).
    var mustBeOnlyRecipient: Bool { get }
}

extension AgeRecipient {
    public var mustBeOnlyRecipient: Bool { false }
}

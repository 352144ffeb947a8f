/// Something that can unwrap a file key from a header stanza.
public protocol AgeIdentity: Sendable {
    /// Returns the file key if `stanza` was made for this identity, `nil` if it was not.
    ///
    /// - Throws: ``AgeError/malformedHeader(reason:)`` (or another ``AgeError``) when the stanza is
    ///   of this identity's type but breaks its rules; decryption then stops, since a damaged
    ///   stanza must not be skipped silently.
    func unwrap(_ stanza: Stanza) throws -> FileKey?
}

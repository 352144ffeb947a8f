/// What an import may take from a document beyond plain data. An export document is not
/// authenticated — anyone who knows a recipient's public key can write and encrypt one — so an
/// import trusts none of this unless told to.
public struct ImportTrust: OptionSet, Sendable, Hashable {
    /// The set's bits.
    public let rawValue: Int

    /// Creates a set from its raw value.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Accept a document whose `vaultID` is not this vault's (`--from-other-vault`).
    public static let otherVault = ImportTrust(rawValue: 1 << 0)
    /// Accept apps that carry ``App/actions`` (`--allow-actions`).
    public static let actions = ImportTrust(rawValue: 1 << 1)
}

/// A place the vault's tables live: it runs transactions and nothing else.
///
/// Everything above it (records, keyring, audit chain, integrity digest, journal, trust) is
/// written once, in `ClientSecrets`; a backend knows SQL and its own database, never a vault.
package protocol StorageBackend: Sendable {
    /// Runs `body` in a transaction that refuses to change anything.
    func read<T>(_ body: (any StorageTransaction) throws -> T) throws -> T
    /// Runs `body` in a transaction that holds the right to write from its start, so two writers
    /// queue instead of deadlocking; commits when `body` returns, rolls back when it throws.
    func write<T>(_ body: (any StorageTransaction) throws -> T) throws -> T
    /// Closes the connection; later calls fail.
    func close() throws
    /// How this backend spells column types.
    var dialect: StorageDialect { get }
}

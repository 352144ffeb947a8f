import Foundation
import Storage
import StoragePostgreSQL
import StorageSQLite

/// Where a vault lives, chosen by its location: a path is a SQLite file (the embedded
/// default), a `postgresql://` URL a database on a PostgreSQL server (for teams). Everything
/// above the backend is the same code, and the server sees what the file would hold.
enum VaultBackend {
    /// Whether `location` names a PostgreSQL database rather than a file.
    static func isServer(_ location: String) -> Bool {
        PostgreSQLStorage.isLocation(location)
    }

    /// A new, empty backend at `location`, refusing a file that exists or a database that
    /// already holds a vault.
    static func create(at location: String) throws -> any StorageBackend {
        try refusePassword(location)
        do {
            guard isServer(location) else { return try SQLiteStorage.create(path: location) }
            let storage = try PostgreSQLStorage.connect(to: location)
            if try storage.read({ try $0.tableExists("vault") }) {
                try? storage.close()
                throw VaultError.vaultExists(path: location)
            }
            return storage
        } catch let error as StorageError {
            throw error.kind == .exists ? VaultError.vaultExists(path: location) : VaultError.storage(reason: error.message)
        }
    }

    /// Refuses a database URL that carries a password, without repeating the URL: a location is
    /// printed in messages, kept in the environment and pinned in `known_vaults`.
    static func refusePassword(_ location: String) throws {
        guard isServer(location), PostgreSQLStorage.holdsPassword(location) else { return }
        throw VaultError.storage(
            reason: "the vault URL holds a password; put it in ~/.pgpass or PGPASSFILE (or use a client certificate) and leave it out of the URL")
    }

    /// Whether a vault exists at `location`: a file there, or a database holding the vault's
    /// tables (a server that cannot be reached throws).
    static func exists(at location: String) throws -> Bool {
        guard isServer(location) else { return FileManager.default.fileExists(atPath: location) }
        let storage = try open(at: location)
        defer { try? storage.close() }
        return try Vault.translatingDatabaseErrors { try storage.read { try $0.tableExists("vault") } }
    }

    /// Undoes a ``create(at:)`` whose first transaction failed: the file goes; a database keeps
    /// nothing, because that transaction (its tables included) was rolled back.
    static func discard(at location: String) {
        if !isServer(location) { SQLiteStorage.remove(path: location) }
    }

    /// The backend at `location`, not yet checked to hold a vault.
    static func open(at location: String) throws -> any StorageBackend {
        try refusePassword(location)
        do {
            guard isServer(location) else { return try SQLiteStorage.open(path: location) }
            return try PostgreSQLStorage.connect(to: location)
        } catch let error as StorageError {
            switch error.kind {
            case .notFound where !isServer(location): throw VaultError.vaultNotFound(path: location)
            case .notFound: throw VaultError.storage(reason: error.message)
            default: throw VaultError.notAVault(path: location, reason: error.message)
            }
        }
    }
}

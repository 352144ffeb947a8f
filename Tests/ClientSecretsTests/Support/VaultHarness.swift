import Age
import Foundation
import GRDB

@testable import ClientSecrets
import ProcessHarness
import TestPostgreSQL
import Testing

/// A vault in its own temporary directory, with the admin identity that created it.
///
/// Call ``remove()`` when done (`defer { harness.remove() }`).
struct VaultHarness {
    static let actor = "admin@tests"

    let directory: TemporaryDirectory
    let admin: X25519Identity
    let path: String

    /// Creates the directory, an admin identity and an empty vault on `backend`, returning the
    /// harness and the vault.
    static func make(actor: String = actor, now: Date = Sample.now, on backend: VaultStore = .default) throws -> (VaultHarness, Vault) {
        let directory = try TemporaryDirectory()
        let admin = try X25519Identity.generate()
        let path = try backend.location(in: directory)
        let vault = try Vault.create(at: path, admin: admin.recipient, name: "test admin", actor: actor, now: now)
        return (VaultHarness(directory: directory, admin: admin, path: path), vault)
    }

    /// Opens the vault again with `identities` (the admin's by default).
    func open(_ identities: [X25519Identity]? = nil, actor: String = actor) throws -> Vault {
        try Vault.open(at: path, identities: identities ?? [admin], actor: actor)
    }

    func remove() { directory.remove() }
}

/// Direct access to a vault's SQLite file, bypassing the library, to inspect or tamper with it.
enum RawVaultFile {
    /// Runs `body` in a write transaction on a separate connection to the file at `path`.
    static func write<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.write(body)
    }

    /// Runs `body` on a separate read-only connection to the file at `path`.
    static func read<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read(body)
    }

    /// Copies every page of the WAL into the main file and empties the WAL.
    static func checkpoint(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.writeWithoutTransaction { db in
            _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// A blob column of the row whose `key` column equals `id`.
    static func blob(_ db: Database, _ table: String, _ column: String, key: String = "id", id: any DatabaseValueConvertible) throws -> Data {
        guard let data = try Data.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(key) = ?", arguments: [id]) else {
            throw TestSupportError("no \(column) in \(table) row \(id)")
        }
        return data
    }

    /// Sets a column of the row whose `key` column equals `id`, checking that exactly one row changed.
    static func set(
        _ db: Database, _ table: String, _ column: String, to value: (any DatabaseValueConvertible)?, key: String = "id",
        id: any DatabaseValueConvertible
    ) throws {
        try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", arguments: [value, id])
        guard db.changesCount == 1 else { throw TestSupportError("\(table) row \(id) not found") }
    }

    /// Flips one bit of a byte in the middle of a blob column.
    static func flipByte(_ db: Database, _ table: String, _ column: String, key: String = "id", id: any DatabaseValueConvertible) throws {
        var bytes = [UInt8](try blob(db, table, column, key: key, id: id))
        bytes[bytes.count / 2] ^= 0x01
        try set(db, table, column, to: Data(bytes), key: key, id: id)
    }

    /// The contents of the vault file and of its WAL and shared-memory files, where they exist.
    static func allBytes(_ path: String) -> [UInt8] {
        ["", "-wal", "-shm"].flatMap { suffix in
            FileManager.default.contents(atPath: path + suffix).map { [UInt8]($0) } ?? []
        }
    }

    /// The permission bits of the file at `path`, or `nil` when it does not exist.
    static func mode(_ path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return (attributes[.posixPermissions] as? NSNumber)?.intValue
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first, self[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}

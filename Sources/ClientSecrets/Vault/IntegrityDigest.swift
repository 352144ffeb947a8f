import CryptoPrimitives
import Foundation
import GRDB

/// The vault's integrity digest: the XOR of a keyed hash of every row of every table, kept in the
/// `vault` row beside a write counter and a MAC over both.
///
/// A row's ciphertext proves the row is genuine; only the digest proves no row was deleted or
/// added. Writers update it incrementally (remove the old row's hash, add the new one), so a
/// write costs the same for 10 or 100,000 apps; ``Vault/verify()`` recomputes it from scratch.
/// Without the integrity key, nobody can compute a row hash, so nobody can fix up the digest
/// after deleting a row. Replacing the whole file with an older copy cannot be detected from the
/// file alone.
struct IntegrityDigest: Sendable, Equatable {
    static let count = 32
    var bytes: [UInt8]

    static let empty = IntegrityDigest(bytes: [UInt8](repeating: 0, count: count))

    /// The columns of each table, in the order their values are hashed.
    static let columns: [String: [String]] = [
        "keyring": ["id", "role", "recipient", "name", "wrapped", "created_at"],
        "apps": ["id", "label_hash", "app_id_hash", "meta", "created_at", "updated_at"],
        "credentials": ["id", "app", "key_id_hash", "state", "expires_at", "created_at", "meta", "secret"],
        "audit": ["seq", "at", "action", "outcome", "details", "prev_hash", "hash"],
        "rotations": ["id", "app", "kind", "step", "status", "started_at", "updated_at", "revision", "meta"],
    ]

    /// Hashed tables, in a fixed order. `rotations` is missing from vaults made before rotation
    /// existed until an admin opens them.
    static let tables = ["keyring", "apps", "credentials", "audit", "rotations"]

    mutating func toggle(_ element: [UInt8]) {
        for index in 0..<Self.count { bytes[index] ^= element[index] }
    }

    /// The keyed hash of one row as stored.
    static func element(table: String, row: Row, key: SecureBytes) throws -> [UInt8] {
        var message = Array(table.utf8) + [0]
        for column in columns[table]! {
            let value: DatabaseValue = row[column]
            switch value.storage {
            case .null:
                message.append(0)
            case .int64(let number):
                message.append(1)
                message += withUnsafeBytes(of: number.bigEndian, Array.init)
            case .double(let number):
                message.append(2)
                message += withUnsafeBytes(of: number.bitPattern.bigEndian, Array.init)
            case .string(let text):
                message.append(3)
                let utf8 = Array(text.utf8)
                message += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
            case .blob(let data):
                message.append(4)
                message += withUnsafeBytes(of: UInt32(data.count).bigEndian, Array.init) + [UInt8](data)
            }
        }
        return try HMAC.sha256(key: key, message: message)
    }

    /// The MAC over the digest and the write counter that the `vault` row keeps.
    func seal(counter: Int64, vaultID: [UInt8], key: SecureBytes) throws -> [UInt8] {
        let message = Array("secrets/v1 digest".utf8) + vaultID + bytes + withUnsafeBytes(of: counter.bigEndian, Array.init)
        return try HMAC.sha256(key: key, message: message)
    }

    /// Recomputes the digest from every row of the vault.
    static func recompute(_ db: Database, key: SecureBytes) throws -> IntegrityDigest {
        var digest = IntegrityDigest.empty
        for table in tables where try db.tableExists(table) {
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table)")
            while let row = try rows.next() { digest.toggle(try element(table: table, row: row, key: key)) }
        }
        return digest
    }
}

import CryptoPrimitives
import Foundation
import Storage

/// The vault's integrity digest: the XOR of one contribution per row of every table, kept in
/// the `vault` row beside a write counter and a signature over both.
///
/// A row's ciphertext proves the row was sealed with the metadata key, which readers hold too;
/// its `auth` tag (format 2) proves an admin wrote it: the tag is keyed with a key derived from
/// the secret key. A row's contribution is a hash of the row and its tag, which anyone can
/// compute; the digest of them all, signed with the vault's authority key (also derived from
/// the secret key), proves to every recipient that no row was changed, deleted, added or put
/// back from an older copy since an admin last wrote, while only an admin can produce it.
/// Admins also check each tag (``Vault/checkIntegrity()``, and each row as it is decoded).
/// Writers update the digest incrementally (remove the old row's contribution, add the new
/// one), so a write costs the same for 10 or 100,000 apps. Replacing the whole file with an
/// older copy cannot be detected from the file alone.
///
/// Format 1 keyed an HMAC of each row with the integrity key, which readers hold;
/// ``recompute(_:key:)`` and ``seal(counter:vaultID:key:)`` remain to check such a vault
/// before it is upgraded.
struct IntegrityDigest: Sendable, Equatable {
    static let count = 32
    var bytes: [UInt8]

    static let empty = IntegrityDigest(bytes: [UInt8](repeating: 0, count: count))

    /// The columns of each table, in the order their values are hashed. `auth` itself is not
    /// among them: it is the tag of the others.
    static let columns: [String: [String]] = [
        "keyring": ["id", "role", "recipient", "name", "wrapped", "created_at"],
        "apps": ["id", "label_hash", "app_id_hash", "meta", "created_at", "updated_at"],
        "credentials": ["id", "app", "key_id_hash", "state", "expires_at", "created_at", "meta", "secret"],
        "audit": ["seq", "at", "action", "outcome", "details", "prev_hash", "hash"],
        "rotations": ["id", "app", "kind", "step", "status", "started_at", "updated_at", "revision", "meta"],
        "tenant_syncs": ["id", "updated_at", "meta"],
    ]

    /// Each table's primary key column, which names a row in messages.
    static let keyColumns = ["keyring": "id", "apps": "id", "credentials": "id", "audit": "seq", "rotations": "id", "tenant_syncs": "id"]

    /// Hashed tables, in a fixed order. `rotations` is missing from vaults made before rotation
    /// existed until an admin opens them; `tenant_syncs` from vaults made before `secrets sync`
    /// existed until its first run. A missing table has no rows.
    static let tables = ["keyring", "apps", "credentials", "audit", "rotations", "tenant_syncs"]

    /// The tables that exist in this vault, of ``tables``.
    static func presentTables(_ db: any StorageTransaction) throws -> [String] {
        try tables.filter { try db.tableExists($0) }
    }

    mutating func toggle(_ element: [UInt8]) {
        for index in 0..<Self.count { bytes[index] ^= element[index] }
    }

    /// The bytes a row's tag covers: the table's name and every column but `auth`, typed and
    /// length-prefixed so that no two rows share a message.
    static func message(table: String, row: StoredRow) -> [UInt8] {
        var message = Array(table.utf8) + [0]
        for column in columns[table]! {
            switch row[column] as StoredValue {
            case .null: message.append(0)
            case .integer(let number): append(integer: number, to: &message)
            case .real(let number): append(real: number, to: &message)
            case .text(var text): text.withUTF8 { append(.text, UnsafeRawBufferPointer($0), to: &message) }
            case .blob(let data): data.withUnsafeBytes { append(.blob, $0, to: &message) }
            }
        }
        return message
    }

    /// ``message(table:row:)`` of a row read in place, whose first `columnCount` columns are
    /// the table's ``columns`` in order, appended to `message`.
    static func appendMessage(table: String, columnCount: Int, row: any StorageColumns, to message: inout [UInt8]) {
        message += table.utf8
        message.append(0)
        for index in 0..<columnCount {
            switch row.type(index) {
            case .null: message.append(0)
            case .integer: append(integer: row.integer(index), to: &message)
            case .real: append(real: row.real(index), to: &message)
            case .text: append(.text, row.text(index), to: &message)
            case .blob: append(.blob, row.bytes(index), to: &message)
            }
        }
    }

    private static func append(integer: Int64, to message: inout [UInt8]) {
        message.append(1)
        withUnsafeBytes(of: integer.bigEndian) { message += $0 }
    }

    private static func append(real: Double, to message: inout [UInt8]) {
        message.append(2)
        withUnsafeBytes(of: real.bitPattern.bigEndian) { message += $0 }
    }

    private static func append(_ type: StoredType, _ bytes: UnsafeRawBufferPointer, to message: inout [UInt8]) {
        message.append(type == .text ? 3 : 4)
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { message += $0 }
        message += bytes
    }

    /// Format 1's keyed hash of one row, with the reader-held integrity key.
    static func element(table: String, row: StoredRow, key: SecureBytes) throws -> [UInt8] {
        try HMAC.sha256(key: key, message: message(table: table, row: row))
    }

    /// Format 2's tag of one row, with the admin-only authentication key.
    static func tag(table: String, row: StoredRow, key: SecureBytes) throws -> [UInt8] {
        try HMAC.sha256(key: key, message: Array("secrets/v2 row\u{0}".utf8) + message(table: table, row: row))
    }

    /// What a row adds to a format-2 digest: a hash of its tag and of everything the tag
    /// covers. Anyone can compute it from the stored row, so a reader can check the signed
    /// digest against every row, and a row changed by another reader (who cannot make its tag,
    /// and so left the old one) changes it.
    static func contribution(table: String, row: StoredRow, tag: [UInt8]) throws -> [UInt8] {
        try SHA256.hash(Array("secrets/v2 element\u{0}".utf8) + tag + message(table: table, row: row))
    }

    /// Format 1's MAC over the digest and the write counter.
    func seal(counter: Int64, vaultID: [UInt8], key: SecureBytes) throws -> [UInt8] {
        let message = Array("secrets/v1 digest".utf8) + vaultID + bytes + withUnsafeBytes(of: counter.bigEndian, Array.init)
        return try HMAC.sha256(key: key, message: message)
    }

    /// What the authority key signs: the vault, the authority itself, the digest and the counter.
    func signedMessage(counter: Int64, vaultID: [UInt8], authority: Ed25519.PublicKey) -> [UInt8] {
        Array("secrets/v2 digest\u{0}".utf8) + vaultID + authority.rawRepresentation + bytes
            + withUnsafeBytes(of: counter.bigEndian, Array.init)
    }

    /// Format 2's signature over the digest and the write counter.
    func signature(counter: Int64, vaultID: [UInt8], authority: Ed25519.SigningKey) throws -> [UInt8] {
        try authority.signature(for: signedMessage(counter: counter, vaultID: vaultID, authority: authority.publicKey()))
    }

    /// Whether `signature` is `authority`'s over this digest and `counter`.
    func isSigned(_ signature: [UInt8], counter: Int64, vaultID: [UInt8], authority: Ed25519.PublicKey) -> Bool {
        authority.isValidSignature(signature, for: signedMessage(counter: counter, vaultID: vaultID, authority: authority))
    }

    /// The largest `secret` column a credential row can hold: the sealed form of the largest
    /// value accepted, a certificate with its private key (``Vault/maximumCertificateValueSize``;
    /// a secret is at most ``Vault/maximumSecretCount``).
    static let maximumSealedSecretCount = RecordCipher.sealedCount(max(Vault.maximumSecretCount, Vault.maximumCertificateValueSize))

    /// Throws for the first credential row whose `secret` column is larger than any sealed
    /// secret can be: damage by definition, found from the column's length (which SQLite
    /// knows without reading the value) before any pass over the rows reads it, so a forged
    /// 300 MB value fails the check at once instead of being hashed.
    static func checkValueSizes(_ db: any StorageTransaction) throws {
        guard try db.tableExists("credentials") else { return }
        guard let row = try db.row(sql: "SELECT id, length(secret) AS size FROM credentials WHERE length(secret) > ? LIMIT 1",
            arguments: [maximumSealedSecretCount])
        else { return }
        throw VaultError.tampered(
            table: "credentials", row: rowName(table: "credentials", row: row),
            reason: "holds a secret column of \(Int64.fromStored(row["size"]) ?? 0) bytes, more than any sealed secret can be (\(maximumSealedSecretCount))")
    }

    /// Recomputes a format-1 digest from every row of the vault.
    static func recompute(_ db: any StorageTransaction, key: SecureBytes) throws -> IntegrityDigest {
        try checkValueSizes(db)
        var digest = IntegrityDigest.empty
        for table in tables where try db.tableExists(table) {
            try db.forEachRow(sql: "SELECT * FROM \(table)") { row in digest.toggle(try element(table: table, row: row, key: key)) }
        }
        return digest
    }

    /// Recomputes every row's tag with the admin's key, returning the digest of the recomputed
    /// tags, the rows whose stored tag differs and that `isReported` does not know already (at
    /// most `limit` of them named, all of them counted), and whether any row's tag differs.
    static func authenticateRows(
        _ db: any StorageTransaction, key: SecureBytes, limit: Int = 20, isReported: (String) -> Bool = { _ in false }
    ) throws -> (digest: IntegrityDigest, forged: [String], forgedCount: Int, anyForged: Bool) {
        try checkValueSizes(db)
        var digest = IntegrityDigest.empty
        var forged: [String] = []
        var forgedCount = 0
        var anyForged = false
        for table in try presentTables(db) {
            try db.forEachRow(sql: "SELECT * FROM \(table)") { row in
                let tag = try tag(table: table, row: row, key: key)
                digest.toggle(try contribution(table: table, row: row, tag: tag))
                let stored = Data.fromStored(row["auth"]).map { [UInt8]($0) } ?? []
                if !ConstantTime.equals(tag, stored) {
                    anyForged = true
                    let name = "\(table) row \(rowName(table: table, row: row))"
                    if isReported(name) { return }
                    forgedCount += 1
                    if forged.count < limit { forged.append(name) }
                }
            }
        }
        return (digest, forged, forgedCount, anyForged)
    }

    /// The digest of the rows as stored, which a reader can compute without any key: with the
    /// digest's signature it proves that no row was deleted, added, changed or put back from an
    /// older copy since an admin last signed, though only an admin can check each tag itself.
    ///
    /// Every command that opens the vault runs this over every row, so the rows are read in
    /// place (``StorageColumns``) into one reused buffer: the same bytes as
    /// ``contribution(table:row:tag:)``, without a ``StoredRow`` per row.
    static func storedContributions(_ db: any StorageTransaction) throws -> IntegrityDigest {
        try checkValueSizes(db)
        var digest = IntegrityDigest.empty
        let prefix = Array("secrets/v2 element\u{0}".utf8)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        for table in try presentTables(db) {
            let hashed = columns[table]!
            let present = Set(try db.columnNames(in: table))
            // A column an older vault lacks reads as NULL, as it does in a StoredRow.
            let selected = (hashed + ["auth"]).map { present.contains($0) ? "\"\($0)\"" : "NULL" }.joined(separator: ", ")
            let keyIndex = hashed.firstIndex(of: keyColumns[table]!)!
            let authIndex = hashed.count
            try db.scan(sql: "SELECT \(selected) FROM \(table)", arguments: []) { row in
                let tag = row.bytes(authIndex)
                guard [.blob, .text].contains(row.type(authIndex)), tag.count == count else {
                    let name = table == "audit" ? "\(row.integer(keyIndex))" : RecordID(bytes: Array(row.bytes(keyIndex))).description
                    throw VaultError.integrityMismatch(reason: "\(table) row \(name) has no authentication tag")
                }
                buffer.removeAll(keepingCapacity: true)
                buffer += prefix
                buffer += tag
                appendMessage(table: table, columnCount: hashed.count, row: row, to: &buffer)
                digest.toggle(try SHA256.hash(buffer))
            }
        }
        return digest
    }

    /// Writes a fresh tag into every row with `key` and returns the digest of them all: for an
    /// upgrade from format 1 and for a rekey, which replaces the key.
    static func reauthenticate(_ db: any StorageTransaction, key: SecureBytes) throws -> IntegrityDigest {
        try checkValueSizes(db)
        var digest = IntegrityDigest.empty
        for table in try presentTables(db) {
            let keyColumn = keyColumns[table]!
            let rows = try db.rows(sql: "SELECT * FROM \(table)")
            for row in rows {
                let tag = try tag(table: table, row: row, key: key)
                digest.toggle(try contribution(table: table, row: row, tag: tag))
                try db.execute(sql: "UPDATE \(table) SET auth = ? WHERE \(keyColumn) = ?", arguments: [Data(tag), row[keyColumn] as StoredValue])
            }
        }
        return digest
    }

    /// How a row is named in a message: its record id, or an audit entry's sequence number.
    static func rowName(table: String, row: StoredRow) -> String {
        if table == "audit" { return "\(Int64.fromStored(row["seq"]) ?? 0)" }
        return Data.fromStored(row["id"]).map { RecordID($0).description } ?? "?"
    }
}

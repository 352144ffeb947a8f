import Foundation
import Testing

/// One way of damaging the vault file: a Python edit of a copy of ``TamperVault``'s vault, what
/// `verify` must name, and which reading commands must refuse to answer.
///
/// The edit runs with the helpers of ``TamperCase/prelude`` and prints, one per line, the
/// fragments that name the damage (`credentials row 1a2b…`, `audit row 7`, `integrity digest`).
/// Lines starting with `~` name the damage for the probes only (a reader's own keyring row is
/// named by the reader, while the admin's `verify` can only see it through the digest).
/// `verify` must print every other line; each probe in ``touching`` must fail naming at least
/// one. Every other probe must either fail the same way or print exactly what it printed on the
/// pristine vault: nothing may answer with wrong data.
struct TamperCase: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable { case flip, swap, move, delete, truncate, audit, foreignKeyring }

    let kind: Kind
    let name: String
    let python: String
    /// Probes that read the damaged data and must fail naming it.
    var touching: [String] = []
    /// Statuses other than the damaged status that a probe may end with (a reader whose own
    /// keyring row was deleted cannot unlock at all: 77).
    var alsoAllowed: [String: Int32] = [:]
    /// Probes documented not to see this damage: plain `expiring` reads only the rows in its
    /// window through the expiry index and leaves deleted or orphaned rows to `--verify` (README,
    /// `expiring --help`); the `expiring --verify` probe must still fail.
    var blind: Set<String> = []
    static let unverifiedExpiring: Set<String> = ["expiring", "expiring (reader)"]

    var testDescription: String { "\(kind.rawValue): \(name)" }

    /// Every probe that opens the vault as the admin.
    static let admin = [
        "list", "app list", "app show alpha", "app show beta", "app show gamma", "secret get alpha", "secret get alpha --key-id",
        "secret get beta", "secret get gamma", "expiring", "expiring --verify", "log", "recipients list", "rotate --dry-run", "export",
    ]

    /// Helpers for the edits. `db` is the vault, `other` an attached second vault (same admin
    /// identity, same reader), rows are addressed by rowid (see ``TamperVault``).
    static let prelude = """
        import hashlib, sqlite3, struct, sys
        db = sqlite3.connect(sys.argv[1])
        db.execute("ATTACH ? AS other", (sys.argv[2],))
        def get(table, column, rowid):
            row = db.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
            assert row is not None, f"no {table} row {rowid}"
            return row[0]
        def put(table, column, rowid, value):
            assert db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid)).rowcount == 1
        def flipped(blob):
            damaged = bytearray(blob)
            damaged[len(damaged) // 2] ^= 0x01
            return bytes(damaged)
        def flip(table, column, rowid):
            put(table, column, rowid, flipped(get(table, column, rowid)))
        def swap(table, column, first, other_table, other_column, second):
            a, b = get(table, column, first), get(other_table, other_column, second)
            put(table, column, first, b"placeholder")  # UNIQUE columns (lookup hashes) must never hold one value twice
            put(other_table, other_column, second, a)
            put(table, column, first, b)
        def delete(table, rowid):
            assert db.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,)).rowcount == 1
        def name(table, rowid):
            if table == "audit":
                return f"audit row {rowid}"
            return f"{table} row {get(table, 'id', rowid).hex()}"
        def rechain():
            # What anyone with the file can do: the chain hash is unkeyed.
            previous = bytes(32)
            for seq, at, action, outcome, details in db.execute(
                    "SELECT seq, at, action, outcome, details FROM audit ORDER BY seq").fetchall():
                message = b"secrets/v1 audit" + previous + struct.pack(">qq", seq, at)
                for text in (action, outcome):
                    message += struct.pack(">I", len(text.encode())) + text.encode()
                message += details
                digest = hashlib.sha256(message).digest()
                db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (previous, digest, seq))
                previous = digest
        def last_seq():
            return db.execute("SELECT MAX(seq) FROM audit").fetchone()[0]

        """

    static let epilogue = "\ndb.commit()\ndb.close()\n"
}

extension TamperCase {
    static func flip(_ table: String, _ column: String, rowid: Int, _ what: String, touching: [String]) -> TamperCase {
        TamperCase(
            kind: .flip, name: "\(table).\(column) of \(what)",
            python: "flip('\(table)', '\(column)', \(rowid))\nprint(name('\(table)', \(rowid)))", touching: touching)
    }

    /// The ciphertext of one row copied over another's (`swap` exchanges the two).
    static func move(
        _ kind: Kind, from: (table: String, column: String, rowid: Int), to: (table: String, column: String, rowid: Int),
        _ what: String, touching: [String]
    ) -> TamperCase {
        let python: String
        if kind == .swap {
            python = """
                swap('\(from.table)', '\(from.column)', \(from.rowid), '\(to.table)', '\(to.column)', \(to.rowid))
                print(name('\(from.table)', \(from.rowid)))
                print(name('\(to.table)', \(to.rowid)))
                """
        } else {
            python = """
                put('\(to.table)', '\(to.column)', \(to.rowid), get('\(from.table)', '\(from.column)', \(from.rowid)))
                print(name('\(to.table)', \(to.rowid)))
                """
        }
        return TamperCase(kind: kind, name: what, python: python, touching: touching)
    }
}

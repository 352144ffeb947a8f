import Foundation

/// Every class of damage the tamper suite applies, by kind. Rowids are those of ``TamperVault``.
enum TamperCatalogue {
    static let alphaReads = ["list", "app list", "app show alpha", "secret get alpha", "secret get alpha --key-id", "expiring", "expiring (reader)", "export", "rotate --dry-run"]
    static let alphaCurrentReads = ["list", "app show alpha", "secret get alpha", "expiring", "expiring (reader)", "export"]

    /// One flipped bit in each sealed column of each table (the schema-driven test covers every
    /// other column).
    static let flips: [TamperCase] = [
        .flip("keyring", "name", rowid: 1, "the admin", touching: ["recipients list"]),
        .flip("keyring", "name", rowid: 2, "the reader", touching: ["recipients list"]),
        TamperCase(
            kind: .flip, name: "keyring.wrapped of the admin",
            python: "flip('keyring', 'wrapped', 1)\nprint('keyring row for ' + get('keyring', 'recipient', 1))", touching: admin),
        TamperCase(
            kind: .flip, name: "keyring.wrapped of the reader",
            python: "flip('keyring', 'wrapped', 2)\nprint(name('keyring', 2))\nprint('~integrity digest')\nprint('~keyring row for ' + get('keyring', 'recipient', 2))", touching: ["expiring (reader)"]),
        .flip("apps", "meta", rowid: 1, "alpha", touching: alphaReads),
        .flip("apps", "meta", rowid: 3, "gamma", touching: ["list", "app list", "app show gamma", "secret get gamma", "expiring", "export"]),
        .flip("credentials", "meta", rowid: 4, "alpha's current secret", touching: alphaCurrentReads),
        .flip("credentials", "meta", rowid: 1, "alpha's previous secret", touching: ["list", "app show alpha", "secret get alpha --key-id", "expiring", "export"]),
        .flip("credentials", "secret", rowid: 4, "alpha's current secret", touching: ["secret get alpha", "export"]),
        .flip("credentials", "secret", rowid: 1, "alpha's previous secret", touching: ["secret get alpha --key-id", "export"]),
        .flip("credentials", "secret", rowid: 2, "beta's secret", touching: ["secret get beta", "export"]),
        .flip("audit", "details", rowid: 3, "entry 3", touching: ["log"]),
        .flip("rotations", "meta", rowid: 1, "alpha's finished rotation", touching: []),
        .flip("rotations", "meta", rowid: 2, "beta's closed rotation", touching: []),
        .flip("rotations", "meta", rowid: 3, "alpha's open retirement", touching: ["rotate --dry-run"]),
    ]

    /// Ciphertexts exchanged between rows of one table, and copied between tables.
    static let moves: [TamperCase] = [
        .move(.swap, from: ("credentials", "secret", 4), to: ("credentials", "secret", 2), "secret values of alpha and beta",
              touching: ["secret get alpha", "secret get beta", "export"]),
        .move(.swap, from: ("credentials", "secret", 4), to: ("credentials", "secret", 1), "secret values of alpha's current and previous",
              touching: ["secret get alpha", "secret get alpha --key-id", "export"]),
        .move(.swap, from: ("credentials", "meta", 4), to: ("credentials", "meta", 2), "credential records of alpha and beta",
              touching: ["list", "app show alpha", "app show beta", "secret get alpha", "secret get beta", "expiring", "export"]),
        .move(.swap, from: ("apps", "meta", 1), to: ("apps", "meta", 2), "app records of alpha and beta",
              touching: ["list", "app list", "app show alpha", "app show beta", "secret get alpha", "secret get beta", "expiring", "export"]),
        // The chain is read in order and stops at the first broken entry: entry 3 is named.
        TamperCase(kind: .swap, name: "audit details of entries 3 and 4", python: "swap('audit', 'details', 3, 'audit', 'details', 4)\nprint(name('audit', 3))",
                   touching: ["log"]),
        .move(.swap, from: ("rotations", "meta", 1), to: ("rotations", "meta", 3), "journal records of two rotations",
              touching: ["rotate --dry-run"]),
        .move(.swap, from: ("keyring", "name", 1), to: ("keyring", "name", 2), "names of the admin and the reader",
              touching: ["recipients list"]),
        TamperCase(
            kind: .swap, name: "wrapped keys of the admin and the reader",
            python: "swap('keyring', 'wrapped', 1, 'keyring', 'wrapped', 2)\nprint(name('keyring', 1))\nprint('~' + name('keyring', 2))",
            touching: admin + ["expiring (reader)"]),
        .move(.swap, from: ("credentials", "app", 4), to: ("credentials", "app", 2), "owners of alpha's and beta's current secrets",
              touching: ["list", "app show alpha", "app show beta", "secret get alpha", "secret get beta", "expiring", "export"]),
        .move(.swap, from: ("apps", "label_hash", 1), to: ("apps", "label_hash", 2), "label hashes of alpha and beta",
              touching: ["list", "app list", "app show alpha", "app show beta", "secret get alpha", "secret get beta", "export"]),
        TamperCase(
            kind: .swap, name: "gamma's secret moved to alpha",
            python: "put('credentials', 'app', 3, get('apps', 'id', 1))\nprint(name('credentials', 3))\nprint('~integrity digest')",
            touching: ["list", "app show alpha", "app show gamma", "secret get gamma", "expiring", "export"]),
        .move(.move, from: ("credentials", "meta", 4), to: ("apps", "meta", 1), "a credential record into alpha's app row", touching: alphaReads),
        .move(.move, from: ("apps", "meta", 2), to: ("credentials", "secret", 2), "an app record into beta's secret value",
              touching: ["secret get beta", "export"]),
        .move(.move, from: ("credentials", "meta", 2), to: ("audit", "details", 4), "a credential record into audit entry 4", touching: ["log"]),
        .move(.move, from: ("audit", "details", 2), to: ("rotations", "meta", 3), "an audit record into alpha's open retirement",
              touching: ["rotate --dry-run"]),
        .move(.move, from: ("credentials", "secret", 3), to: ("keyring", "name", 2), "gamma's secret value into the reader's name",
              touching: ["recipients list"]),
    ]

    /// Rows deleted, and the file cut short.
    static let deletions: [TamperCase] = [
        TamperCase(kind: .delete, name: "alpha's current credential", python: "delete('credentials', 4)\nprint('integrity digest')",
                   touching: ["list", "app show alpha", "secret get alpha", "export", "rotate --dry-run"], blind: TamperCase.unverifiedExpiring),
        TamperCase(kind: .delete, name: "gamma's only credential", python: "delete('credentials', 3)\nprint('integrity digest')",
                   touching: ["list", "app show gamma", "secret get gamma", "export", "rotate --dry-run"], blind: TamperCase.unverifiedExpiring),
        TamperCase(kind: .delete, name: "the app gamma", python: "print('~' + name('credentials', 3))\ndelete('apps', 3)\nprint('integrity digest')",
                   touching: ["list", "app list", "app show gamma", "secret get gamma", "export", "rotate --dry-run"], blind: TamperCase.unverifiedExpiring),
        TamperCase(kind: .delete, name: "alpha's open retirement", python: "delete('rotations', 3)\nprint('integrity digest')",
                   touching: ["rotate --dry-run"]),
        TamperCase(kind: .delete, name: "alpha's finished rotation", python: "delete('rotations', 1)\nprint('integrity digest')"),
        TamperCase(kind: .delete, name: "the reader's keyring entry", python: "delete('keyring', 2)\nprint('integrity digest')",
                   touching: ["recipients list"], alsoAllowed: ["expiring (reader)": 3]),
        TamperCase(kind: .delete, name: "the vault row", python: "db.execute('DELETE FROM vault')\nprint('no vault table')",
                   touching: admin + ["expiring (reader)"]),
    ]

    /// Where the file is cut: fractions of its size, or byte counts.
    static let truncations: [TamperCase] = [
        ("to nothing", "0"), ("inside the header", "60"), ("to the first page", "4096"), ("to half", "size // 2"),
        ("by one page", "size - 4096"), ("by 100 bytes", "size - 100"),
    ].map { what, length in
        TamperCase(
            kind: .truncate, name: what,
            python: "db.close()\nimport os\nsize = os.path.getsize(sys.argv[1])\nos.truncate(sys.argv[1], \(length))\nprint('')\nsys.exit(0)",
            touching: [])
    }

    /// Audit entries altered (with the unkeyed chain recomputed, as anyone can) or removed.
    static let audit: [TamperCase] = [
        TamperCase(kind: .audit, name: "an action renamed", python: "put('audit', 'action', 4, 'app.remove')\nprint(name('audit', 4))",
                   touching: ["log"]),
        TamperCase(kind: .audit, name: "an action renamed, chain recomputed",
                   python: "put('audit', 'action', 4, 'app.remove')\nrechain()\nprint(name('audit', 4))", touching: ["log"]),
        TamperCase(kind: .audit, name: "an outcome rewritten, chain recomputed",
                   python: "put('audit', 'outcome', 5, 'failed')\nrechain()\nprint(name('audit', 5))", touching: ["log"]),
        TamperCase(kind: .audit, name: "a time moved, chain recomputed",
                   python: "put('audit', 'at', 6, get('audit', 'at', 6) - 86400)\nrechain()\nprint(name('audit', 6))", touching: ["log"]),
        TamperCase(kind: .audit, name: "an entry removed from the middle",
                   python: "delete('audit', 5)\nprint(name('audit', 6))", touching: ["log"]),
        TamperCase(kind: .audit, name: "an entry removed, later ones renumbered, chain recomputed",
                   python: """
                       delete('audit', 5)
                       for seq in range(6, last_seq() + 1):
                           db.execute("UPDATE audit SET seq = ? WHERE seq = ?", (seq - 1, seq))
                       rechain()
                       print(name('audit', 5))
                       """, touching: ["log"]),
        TamperCase(kind: .audit, name: "the last entry removed", python: "delete('audit', last_seq())\nprint('integrity digest')",
                   touching: ["log"]),
        TamperCase(kind: .audit, name: "two entries exchanged, chain recomputed",
                   python: """
                       db.execute("UPDATE audit SET seq = -1 WHERE seq = 3")
                       db.execute("UPDATE audit SET seq = 3 WHERE seq = 4")
                       db.execute("UPDATE audit SET seq = 4 WHERE seq = -1")
                       rechain()
                       print(name('audit', 3))
                       """, touching: ["log"]),
    ]

    /// Keyring entries of a second vault (same admin identity, same reader) copied in.
    static let foreignKeyring: [TamperCase] = [
        TamperCase(
            kind: .foreignKeyring, name: "the admin's wrapped keys",
            python: """
                put('keyring', 'wrapped', 1, db.execute("SELECT wrapped FROM other.keyring WHERE role = 'admin'").fetchone()[0])
                print('keyring row for ' + get('keyring', 'recipient', 1))
                """, touching: admin),
        TamperCase(
            kind: .foreignKeyring, name: "the admin's whole row",
            python: """
                recipient = get('keyring', 'recipient', 1)
                delete('keyring', 1)
                db.execute("INSERT INTO keyring SELECT * FROM other.keyring WHERE role = 'admin'")
                print('keyring row for ' + recipient)
                """, touching: admin),
        TamperCase(
            kind: .foreignKeyring, name: "the reader's wrapped keys",
            python: """
                put('keyring', 'wrapped', 2, db.execute("SELECT wrapped FROM other.keyring WHERE role = 'reader'").fetchone()[0])
                print(name('keyring', 2))
                print('~integrity digest')
                print('~keyring row for ' + get('keyring', 'recipient', 2))
                """, touching: ["expiring (reader)"]),
        TamperCase(
            kind: .foreignKeyring, name: "another vault's reader added",
            python: """
                delete('keyring', 2)
                db.execute("INSERT INTO keyring SELECT * FROM other.keyring WHERE role = 'reader'")
                print('keyring row ' + db.execute("SELECT id FROM keyring WHERE role = 'reader'").fetchone()[0].hex())
                print('~integrity digest')
                print('~keyring row for ' + db.execute("SELECT recipient FROM keyring WHERE role = 'reader'").fetchone()[0])
                """, touching: ["recipients list", "expiring (reader)"]),
    ]

    static let admin = TamperCase.admin
    static let all = flips + moves + deletions + truncations + audit + foreignKeyring
}

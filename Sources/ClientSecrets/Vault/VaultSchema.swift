import Storage

/// The vault's tables. Only ids, roles, states and timestamps are in clear; everything that
/// identifies an app or a person, and every secret value, is a sealed column.
enum VaultSchema {
    /// The format version stored in the `vault` row; a newer one is refused rather than misread.
    ///
    /// The newest format this version reads and writes. Format 2 adds an `auth` tag to every row
    /// (keyed with a key only admins hold), signs the digest with the vault's authority key, and
    /// keeps the authority keys' succession. Format 3 adds the `tenant_syncs` table to the signed
    /// digest: a `secrets` that reads only format 2 would not count its rows, and so refuses the
    /// vault instead of calling it tampered. Format 5 holds certificate credentials the vault
    /// made or imported (credential records of version 4).
    static let formatVersion = 5

    /// The format a new vault (and a format-1 vault upgraded) gets: 2, which every `secrets`
    /// since format 2 reads. The first `secrets sync` makes it 3 (``createTenantSyncs(_:)``), the
    /// first with `--service-principals` or `--owners` 4 (``tenantDetailFormat``): its credential
    /// records name their holder (version 3) and its app records their owners (version 7),
    /// which a `secrets` of format 3 cannot read.
    static let baseFormat = 2

    /// The format of a vault that holds a certificate it made or imported.
    static let certificateFormat = 5

    /// The format of a vault that tracks service principals' credentials or apps' owners.
    static let tenantDetailFormat = 4

    /// The format of a vault with a `tenant_syncs` table.
    static let tenantSyncFormat = 3

    static func create(_ db: any StorageTransaction) throws {
        let d = db.dialect
        // Covers what `expiring` reads, so monitoring scans this index in expiry order and never
        // visits the table rows. PostgreSQL's index entries cannot hold a certificate's sealed
        // record, so there the index orders and the rows are read.
        let expiryColumns = d.indexesHoldLargeValues ? "expires_at, id, app, state, key_id_hash, meta" : "expires_at, id"
        try db.executeScript(sql: """
            CREATE TABLE vault (
                id \(d.integer) PRIMARY KEY CHECK (id = 1),
                vault_id \(d.blob) NOT NULL,
                format \(d.integer) NOT NULL,
                created_at \(d.integer) NOT NULL,
                digest \(d.blob) NOT NULL,
                counter \(d.integer) NOT NULL,
                seal \(d.blob) NOT NULL,
                authority \(d.blob)
            );
            CREATE TABLE keyring (
                id \(d.blob) PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
                recipient TEXT NOT NULL UNIQUE,
                name \(d.blob),
                wrapped \(d.blob) NOT NULL,
                created_at \(d.integer) NOT NULL,
                auth \(d.blob)
            );
            CREATE TABLE apps (
                id \(d.blob) PRIMARY KEY,
                label_hash \(d.blob) NOT NULL UNIQUE,
                app_id_hash \(d.blob) NOT NULL UNIQUE,
                meta \(d.blob) NOT NULL,
                created_at \(d.integer) NOT NULL,
                updated_at \(d.integer) NOT NULL,
                auth \(d.blob)
            );
            CREATE TABLE credentials (
                id \(d.blob) PRIMARY KEY,
                app \(d.blob) NOT NULL REFERENCES apps(id),
                key_id_hash \(d.blob) NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'current', 'previous', 'retired')),
                expires_at \(d.integer),
                created_at \(d.integer) NOT NULL,
                meta \(d.blob) NOT NULL,
                secret \(d.blob),
                auth \(d.blob),
                UNIQUE (app, key_id_hash)
            );
            CREATE INDEX credentials_by_expiry ON credentials (\(expiryColumns))
                WHERE state <> 'retired' AND expires_at IS NOT NULL;
            CREATE INDEX credentials_by_app ON credentials (app, state);
            CREATE TABLE audit (
                seq \(d.integer) PRIMARY KEY,
                at \(d.integer) NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                details \(d.blob) NOT NULL,
                prev_hash \(d.blob) NOT NULL,
                hash \(d.blob) NOT NULL,
                auth \(d.blob)
            );
            """)
        try createRotations(db, authenticated: true)
        try createAuthority(db)
    }

    /// Where `secrets sync` resumes: one row per scanner app (its row id), holding the sealed
    /// delta link of the tenant's last round. The first sync creates it (and makes the vault
    /// format 3); readers treat a missing table as no rows.
    /// Why each format after the base one exists, for the audit entry of the migration to it.
    static let migrations: [Int: String] = [
        tenantSyncFormat: "the table tenant_syncs keeps each scanner's delta link",
        tenantDetailFormat: "credential records name their holder (version 3) and app records their owners (version 7)",
        certificateFormat: "credential records hold certificates made or imported with their keys (version 4)",
    ]

    static func createTenantSyncs(_ db: any StorageTransaction) throws {
        let d = db.dialect
        try db.executeScript(sql: """
            CREATE TABLE IF NOT EXISTS tenant_syncs (
                id \(d.blob) PRIMARY KEY REFERENCES apps(id),
                updated_at \(d.integer) NOT NULL,
                meta \(d.blob) NOT NULL,
                auth \(d.blob)
            );
            """)
    }

    /// The vault's authority keys, one per data-key generation: each later key is endorsed
    /// (signed) by the one before, so a recipient that pinned an earlier key can follow a rekey
    /// without trusting the file.
    static func createAuthority(_ db: any StorageTransaction) throws {
        let d = db.dialect
        try db.executeScript(sql: """
            CREATE TABLE authority (
                generation \(d.integer) PRIMARY KEY,
                public_key \(d.blob) NOT NULL,
                endorsement \(d.blob)
            );
            """)
    }

    /// Brings a format-1 vault's tables to format 2's shape: an `auth` column on every table,
    /// the authority column and table. The caller computes the tags and signs, in the same
    /// transaction.
    static func addAuthentication(_ db: any StorageTransaction) throws {
        if try !db.tableExists("rotations") { try createRotations(db, authenticated: true) }
        for table in try IntegrityDigest.presentTables(db) where try !db.columnNames(in: table).contains("auth") {
            try db.executeScript(sql: "ALTER TABLE \(table) ADD COLUMN auth \(db.dialect.blob)")
        }
        if try !db.columnNames(in: "vault").contains("authority") {
            try db.executeScript(sql: "ALTER TABLE vault ADD COLUMN authority \(db.dialect.blob)")
        }
        if try !db.tableExists("authority") { try createAuthority(db) }
    }

    /// The rotation journal: one row per rotation, retirement or rollback, written before each step
    /// acts and again after, so `secrets rotate` can resume whatever a crash left half done.
    /// Added after format 1 shipped; ``Vault/open(at:identities:actor:)`` adds it to older vaults.
    static func createRotations(_ db: any StorageTransaction, authenticated: Bool) throws {
        let d = db.dialect
        try db.executeScript(sql: """
            CREATE TABLE IF NOT EXISTS rotations (
                id \(d.blob) PRIMARY KEY,
                app \(d.blob) NOT NULL REFERENCES apps(id),
                kind TEXT NOT NULL CHECK (kind IN ('rotate', 'retire', 'rollback')),
                step TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
                started_at \(d.integer) NOT NULL,
                updated_at \(d.integer) NOT NULL,
                revision \(d.integer) NOT NULL,
                meta \(d.blob) NOT NULL\(authenticated ? ",\n    auth \(d.blob)" : "")
            );
            CREATE INDEX IF NOT EXISTS rotations_open ON rotations (app) WHERE step <> 'closed';
            """)
    }
}

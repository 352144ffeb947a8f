import Foundation
import Storage
import StoragePostgreSQL

/// ``VaultLock`` for a vault on PostgreSQL: a session advisory lock keyed on the vault's schema,
/// held on a connection of its own for as long as this value lives. The server drops it when that
/// connection ends, so a host that dies mid-rotation never leaves it behind, and another host's
/// `secrets` can take over and resume the journal.
///
/// The holder is told apart by the connection's `application_name` (`secrets <command> pid N on
/// host`), which a refused command reads back from `pg_stat_activity` to say who holds the lock.
///
/// `rotate` takes it shared, so that several hosts rotate at once, and claims each app before
/// working on it (``AppClaims``): a lock of its own per app, on the same connection, so it is
/// dropped with the rest when the host dies.
final class ServerRotationLock: AppClaims {
    private let storage: PostgreSQLStorage

    /// The advisory lock's first key ("rota" in ASCII); the second is the schema's, as for writes.
    static let lockClass: Int32 = 0x726F_7461
    /// The first key of an app's claim ("apps"); the second hashes the schema and the app's id.
    static let claimClass: Int32 = 0x6170_7073

    init(location: String, holder: String, wait: TimeInterval, shared: Bool = false) throws {
        let name = "secrets \(holder) pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
        let labelled = location + (location.contains("?") ? "&" : "?") + "application_name=" + Self.queryEncoded(String(name.prefix(60)))
        do {
            storage = try PostgreSQLStorage.connect(to: labelled)
        } catch let error as StorageError {
            throw VaultError.storage(reason: error.message)
        }
        let deadline = Date().addingTimeInterval(wait)
        while true {
            let taken = try Vault.translatingDatabaseErrors {
                try storage.read { db in
                    try db.value(
                        Bool.self, sql: "SELECT pg_try_advisory_lock\(shared ? "_shared" : "")(?::integer, hashtext(current_schema()))",
                        arguments: [Int(Self.lockClass)]) ?? false
                }
            }
            if taken { return }
            guard Date() < deadline else {
                let holder = try? storage.read { db in
                    try db.value(
                        String.self,
                        sql: """
                            SELECT a.application_name::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid::bigint = ? AND l.granted
                              AND l.objid::bigint = (hashtext(current_schema())::bigint + 4294967296) % 4294967296
                              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                              AND a.pid <> pg_backend_pid() LIMIT 1
                            """, arguments: [Int(Self.lockClass)])
                }
                // Any role on the server can set an application_name: only a printable one that
                // reads as ours is quoted.
                let who = holder.flatMap { $0.hasPrefix("secrets ") ? "`\(TerminalText.neutralised(String($0.prefix(64))))`" : nil }
                    ?? "`secrets rotate`, `rollback` or other vault-changing command"
                let how = wait > 0 ? " (waited \(Int(wait)) s)" : ""
                throw VaultError.busy(reason: "another \(who) is working on this vault and holds its lock\(how); run this command again when it has finished (a rotation resumes anything it left half done)")
            }
            usleep(50_000)
        }
    }

    /// `text` percent-encoded for a URI query value.
    static func queryEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "secrets"
    }

    func tryClaim(_ app: RecordID) throws -> Bool {
        try Vault.translatingDatabaseErrors {
            try storage.autocommit { db in
                try db.value(
                    Bool.self, sql: "SELECT pg_try_advisory_lock(?::integer, hashtext(current_schema() || ?))",
                    arguments: [Int(Self.claimClass), app.description]) ?? false
            }
        }
    }

    func release(_ app: RecordID) {
        // A release that fails leaves the claim to the end of the connection, which is this
        // process's end: nothing waits on it but another host's later pass.
        _ = try? storage.autocommit { db in
            try db.value(
                Bool.self, sql: "SELECT pg_advisory_unlock(?::integer, hashtext(current_schema() || ?))",
                arguments: [Int(Self.claimClass), app.description])
        }
    }
}

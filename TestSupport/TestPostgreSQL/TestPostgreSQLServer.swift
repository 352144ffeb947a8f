import Foundation
import StoragePostgreSQL

/// The PostgreSQL server the tests run against: `SECRETS_TEST_POSTGRESQL`, a `postgresql://`
/// URL that `Scripts/postgres.sh start` prints (and `Scripts/test.sh` sets). Unset, the
/// PostgreSQL cases are left out and everything runs on SQLite.
package enum TestPostgreSQLServer {
    /// The server's URL, or `nil` when none was named.
    package static let url = ProcessInfo.processInfo.environment["SECRETS_TEST_POSTGRESQL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The location of a new, empty schema of its own on the server, so that tests never see
    /// one another's tables: the server's URL with its search path set (libpq's `options`).
    package static func freshLocation() throws -> String {
        guard let url else { throw TestPostgreSQLError.noServer }
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgreSQLStorage.connect(to: url)
        try admin.write { db in try db.executeScript(sql: "CREATE SCHEMA \(schema)") }
        try admin.close()
        return url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }
}

/// Why a PostgreSQL case could not run.
package enum TestPostgreSQLError: Error, CustomStringConvertible {
    case noServer

    package var description: String { "SECRETS_TEST_POSTGRESQL is not set (eval \"$(Scripts/postgres.sh start)\")" }
}

import Foundation
import ProcessHarness
import Testing

/// Where a test's vault lives: a SQLite file in its directory, or a fresh schema on the test
/// PostgreSQL server. Suites that hold for every backend take ``all`` as their arguments, or
/// follow ``default``, which `Scripts/test.sh` sets for its PostgreSQL pass.
package enum VaultStore: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case sqlite
    case postgresql

    package var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// Where a suite's vaults live unless it names a backend: `SECRETS_TEST_VAULT_STORE`
    /// (`postgresql` or `sqlite`), SQLite by default.
    package static let `default` = VaultStore(rawValue: ProcessInfo.processInfo.environment["SECRETS_TEST_VAULT_STORE"] ?? "") ?? .sqlite

    /// SQLite, and PostgreSQL when a test server is named (`Scripts/test.sh` starts one).
    package static let all: [VaultStore] = TestPostgreSQLServer.url == nil ? [.sqlite] : [.sqlite, .postgresql]

    /// A new vault location: `vault.sqlite` in `directory`, or a fresh schema on the server.
    package func location(in directory: TemporaryDirectory) throws -> String {
        switch self {
        case .sqlite: directory.path("vault.sqlite")
        case .postgresql: try TestPostgreSQLServer.freshLocation()
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// For a test about the SQLite file itself (it edits or inspects the file beside the
    /// library): runs when the suites' vaults are SQLite files, not in the PostgreSQL pass.
    package static var sqliteFile: Self { .enabled(if: VaultStore.default == .sqlite, "it edits or inspects the SQLite file") }
}

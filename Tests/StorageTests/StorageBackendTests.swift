import Foundation
import ProcessHarness
import Storage
import StoragePostgreSQL
import StorageSQLite
import TestPostgreSQL
import Testing

/// A backend to run the contract against, made fresh in its own directory.
struct BackendUnderTest: CustomTestStringConvertible, Sendable {
    let name: String
    /// Makes an empty database; the second backend is another connection to the same one.
    let make: @Sendable (TemporaryDirectory, TimeInterval) throws -> (any StorageBackend, any StorageBackend)

    var testDescription: String { name }

    static let sqlite = BackendUnderTest(name: "SQLite") { directory, busyTimeout in
        let path = directory.path("store.sqlite")
        let first = try SQLiteStorage.create(path: path, busyTimeout: busyTimeout)
        return (first, try SQLiteStorage.open(path: path, busyTimeout: busyTimeout))
    }

    /// A fresh schema on the test server (`TestPostgreSQLServer`).
    static let postgresql = BackendUnderTest(name: "PostgreSQL") { _, busyTimeout in
        let location = try TestPostgreSQLServer.freshLocation()
        return (
            try PostgreSQLStorage.connect(to: location, busyTimeout: busyTimeout),
            try PostgreSQLStorage.connect(to: location, busyTimeout: busyTimeout)
        )
    }

    /// Every backend the vault runs on; each test below runs against each of them. PostgreSQL
    /// when a server is named (`Scripts/test.sh` starts one), so a machine without one still runs SQLite.
    static let all: [BackendUnderTest] = TestPostgreSQLServer.url == nil ? [.sqlite] : [.sqlite, .postgresql]
}

/// What the vault relies on from any storage backend: values come back exactly as stored,
/// transactions are all or nothing, reads cannot write, and failures arrive as the
/// ``StorageError`` kinds the vault words for people.
@Suite("The storage seam's contract")
struct StorageBackendTests {
    static func schema(_ d: StorageDialect) -> String {
        """
        CREATE TABLE parent (id \(d.blob) PRIMARY KEY, name TEXT NOT NULL UNIQUE, size \(d.integer) CHECK (size >= 0));
        CREATE TABLE child (id \(d.integer) PRIMARY KEY, parent \(d.blob) NOT NULL REFERENCES parent(id), value \(d.blob), number \(d.real));
        """
    }

    func withBackend(_ backend: BackendUnderTest, busyTimeout: TimeInterval = 5, _ body: (any StorageBackend, any StorageBackend) throws -> Void) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (first, second) = try backend.make(directory, busyTimeout)
        defer {
            try? first.close()
            try? second.close()
        }
        try first.write { db in try db.executeScript(sql: Self.schema(first.dialect)) }
        try body(first, second)
    }

    @Test("values come back with the type and bytes they were stored with", arguments: BackendUnderTest.all)
    func valuesRoundTrip(_ backend: BackendUnderTest) throws {
        let values: [StoredValue] = [
            .null, .integer(0), .integer(.min), .integer(.max), .real(-0.5), .text(""), .text("Zürich ✓ \u{1F511}"),
            .blob(Data([0, 1, 2, 255])), .blob(Data(repeating: 7, count: 70_000)),
        ]
        try withBackend(backend) { storage, _ throws in
            let d = storage.dialect
            // One column of each type; each value goes into the column of its own type.
            func column(_ value: StoredValue) -> String {
                switch value {
                case .null, .integer: "i"
                case .real: "r"
                case .text: "t"
                case .blob: "b"
                }
            }
            try storage.write { db throws in
                try db.execute(sql: "CREATE TABLE anything (n \(d.integer) PRIMARY KEY, i \(d.integer), r \(d.real), t TEXT, b \(d.blob))")
                for (index, value) in values.enumerated() {
                    try db.execute(sql: "INSERT INTO anything (n, \(column(value))) VALUES (?, ?)", arguments: [index, value])
                }
            }
            let stored = try storage.read { db in
                try zip(db.rows(sql: "SELECT i, r, t, b FROM anything ORDER BY n"), values).map { row, value in row[column(value)] as StoredValue }
            }
            #expect(stored == values)
            // Read in place, the same values.
            let scanned = try storage.read { db in
                var scanned: [StoredType] = []
                try db.scan(sql: "SELECT i, r, t, b FROM anything ORDER BY n", arguments: []) { row in
                    scanned.append((0..<4).map { row.type($0) }.first { $0 != .null } ?? .null)
                }
                return scanned
            }
            #expect(scanned == [.null, .integer, .integer, .integer, .real, .text, .text, .blob, .blob])
        }
    }

    @Test("a write that throws leaves nothing behind", arguments: BackendUnderTest.all)
    func writeIsAtomic(_ backend: BackendUnderTest) throws {
        struct Refused: Error {}
        try withBackend(backend) { storage, other throws in
            #expect(throws: Refused.self) {
                try storage.write { db throws in
                    try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "a", 1])
                    throw Refused()
                }
            }
            #expect(try other.read { db in try db.value(Int.self, sql: "SELECT COUNT(*) FROM parent") } == 0)
        }
    }

    @Test("a read that changes anything is refused and changes nothing", arguments: BackendUnderTest.all)
    func readCannotWrite(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            let error = #expect(throws: StorageError.self) {
                try storage.read { db throws in
                    try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "a", 1])
                }
            }
            #expect(error?.kind == .readOnly)
            // No transaction was left open: the connection reads and writes afterwards.
            #expect(try storage.read { db in try db.value(Int.self, sql: "SELECT COUNT(*) FROM parent") } == 0)
            try storage.write { db throws in
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "a", 1])
            }
        }
    }

    @Test("a savepoint that throws is rolled back alone", arguments: BackendUnderTest.all)
    func savepointRollsBackAlone(_ backend: BackendUnderTest) throws {
        struct Refused: Error {}
        try withBackend(backend) { storage, _ throws in
            try storage.write { db throws in
                try db.savepoint {
                    try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "kept", 1])
                }
                #expect(throws: Refused.self) {
                    try db.savepoint {
                        try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([2]), "dropped", 2])
                        throw Refused()
                    }
                }
                #expect(db.isInsideTransaction)
            }
            #expect(try storage.read { db in try db.values(String.self, sql: "SELECT name FROM parent") } == ["kept"])
        }
    }

    @Test("broken table rules arrive as the kinds the vault tells apart", arguments: BackendUnderTest.all)
    func constraintKinds(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            try storage.write { db throws in
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "a", 1])
            }
            func kind(_ sql: String, _ arguments: [(any StoredValueConvertible)?]) -> StorageError.Kind? {
                do {
                    try storage.write { db in try db.execute(sql: sql, arguments: arguments) }
                    return nil
                } catch {
                    return (error as? StorageError)?.kind
                }
            }
            #expect(kind("INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", [Data([2]), "a", 1]) == .duplicate)
            #expect(kind("INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", [Data([1]), "b", 1]) == .duplicate)
            #expect(kind("INSERT INTO child (id, parent) VALUES (?, ?)", [1, Data([9])]) == .missingReference)
            #expect(kind("INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", [Data([3]), "c", -1]) == .constraint)
            #expect(kind("INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", [Data([3]), nil, 1]) == .constraint)
        }
    }

    @Test("a writer waits for another's write, then gives up as busy", arguments: BackendUnderTest.all)
    func busyWriter(_ backend: BackendUnderTest) throws {
        try withBackend(backend, busyTimeout: 0.3) { storage, other throws in
            let started = Date()
            let error = try storage.write { db -> StorageError? in
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1]), "a", 1])
                do {
                    try other.write { db in
                        try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([2]), "b", 1])
                    }
                    return nil
                } catch {
                    return error as? StorageError
                }
            }
            #expect(error?.kind == .busy(waited: 0.3))
            #expect(Date().timeIntervalSince(started) >= 0.3)
            #expect(try other.read { db in try db.values(String.self, sql: "SELECT name FROM parent") } == ["a"])
        }
    }

    @Test("a column read as the wrong type throws instead of trapping", arguments: BackendUnderTest.all)
    func wrongTypeThrows(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            try storage.write { db throws in
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, NULL)", arguments: [Data([1]), "a"])
            }
            try storage.read { db throws in
                let row = try #require(try db.row(sql: "SELECT * FROM parent"))
                #expect(try row["name"] as String == "a")
                #expect(try row["size"] as Int64? == nil)
                #expect(throws: StorageError.self) { try row["name"] as Int64 }
                #expect(throws: StorageError.self) { try row["size"] as Int64 }
                #expect(throws: StorageError.self) { try row["missing"] as String }
                #expect(throws: StorageError.self) { try db.value(Int64.self, sql: "SELECT name FROM parent") }
            }
        }
    }

    @Test("a scan lends each row's columns in place, the same values the rows hold", arguments: BackendUnderTest.all)
    func scanMatchesRows(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            try storage.write { db throws in
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([1, 2, 3]), "first", 10])
                try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, NULL)", arguments: [Data([4]), "second ✓"])
            }
            let scanned = try storage.read { db throws in
                var scanned: [(Data, String, Int64?)] = []
                try db.scan(sql: "SELECT id, name, size FROM parent WHERE name <> ? ORDER BY name", arguments: ["none"]) { row in
                    scanned.append((Data(row.bytes(0)), String(decoding: row.text(1), as: UTF8.self), row.isNull(2) ? nil : row.integer(2)))
                }
                return scanned
            }
            #expect(scanned.map(\.0) == [Data([1, 2, 3]), Data([4])])
            #expect(scanned.map(\.1) == ["first", "second ✓"])
            #expect(scanned.map(\.2) == [10, nil])
        }
    }

    @Test("a row loop's body may run the same query again without disturbing the loop", arguments: BackendUnderTest.all)
    func nestedQueries(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            try storage.write { db throws in
                for index in 1...3 {
                    try db.execute(sql: "INSERT INTO parent (id, name, size) VALUES (?, ?, ?)", arguments: [Data([UInt8(index)]), "p\(index)", index])
                }
            }
            let pairs = try storage.read { db in
                var pairs: [String] = []
                let sql = "SELECT name FROM parent ORDER BY name"
                try db.forEachRow(sql: sql) { outer in
                    let inner = try db.rows(sql: sql).count
                    var again = 0
                    try db.forEachRow(sql: sql) { _ in again += 1 }
                    pairs.append("\(try outer["name"] as String):\(inner):\(again)")
                }
                return pairs
            }
            #expect(pairs == ["p1:3:3", "p2:3:3", "p3:3:3"])
        }
    }

    @Test("schema questions: tables, columns, and the backend's own check", arguments: BackendUnderTest.all)
    func schemaQuestions(_ backend: BackendUnderTest) throws {
        try withBackend(backend) { storage, _ throws in
            try storage.read { db throws in
                #expect(try db.tableExists("parent"))
                #expect(try !db.tableExists("nothing"))
                #expect(try db.columnNames(in: "child") == ["id", "parent", "value", "number"])
                #expect(try db.damage() == [])
            }
        }
    }
}

/// What only the SQLite backend does: the file on disk.
@Suite("SQLite backend: the file")
struct SQLiteFileTests {
    @Test("a new file and its WAL are 0600 in a 0700 directory; an existing file is never replaced")
    func createsPrivately() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("nested/store.sqlite")
        let storage = try SQLiteStorage.create(path: path)
        try storage.write { db in try db.executeScript(sql: "CREATE TABLE t (x)") }
        #expect(mode(path) == 0o600)
        #expect(mode(path + "-wal") == 0o600)
        #expect(mode(directory.path("nested")) == 0o700)
        let error = #expect(throws: StorageError.self) { try SQLiteStorage.create(path: path) }
        #expect(error?.kind == .exists)
        try storage.close()
    }

    @Test("opening names what is wrong: nothing there, a directory, a file that is not SQLite")
    func openRefusals() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect((#expect(throws: StorageError.self) { try SQLiteStorage.open(path: directory.path("absent")) })?.kind == .notFound)
        #expect((#expect(throws: StorageError.self) { try SQLiteStorage.open(path: directory.path) })?.kind == .notADatabase)
        let text = try directory.write(String(repeating: "not a database\n", count: 100), to: "text")
        #expect((#expect(throws: StorageError.self) { try SQLiteStorage.open(path: text) })?.kind == .notADatabase)
    }

    private func mode(_ path: String) -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return status.st_mode & 0o777
    }
}

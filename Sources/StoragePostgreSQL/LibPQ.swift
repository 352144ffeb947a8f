#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Storage

/// The functions of libpq, PostgreSQL's client library, that this backend calls, loaded with
/// `dlopen` the first time a vault on PostgreSQL is opened.
///
/// Linked like OpenSSL, libpq and the 20 libraries it needs (Kerberos, LDAP, SASL…) would be
/// loaded by every `secrets` process, costing each command several milliseconds before `main`,
/// though most vaults are SQLite files. Loaded here, only a PostgreSQL vault pays, and only a
/// machine that uses one needs libpq installed (Debian: `libpq5`).
///
/// The signatures and constants are libpq's stable C API (`libpq-fe.h`, PostgreSQL 10 and later).
struct LibPQ: @unchecked Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer
    typealias NoticeProcessor = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void

    let connectdb: @convention(c) (UnsafePointer<CChar>) -> Connection?
    let status: @convention(c) (Connection) -> Int32
    let errorMessage: @convention(c) (Connection) -> UnsafePointer<CChar>?
    let finish: @convention(c) (Connection) -> Void
    let exec: @convention(c) (Connection, UnsafePointer<CChar>) -> Result?
    let execParams: @convention(c) (
        Connection, UnsafePointer<CChar>, Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?,
        UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
    ) -> Result?
    let resultStatus: @convention(c) (Result) -> Int32
    let resultErrorField: @convention(c) (Result, Int32) -> UnsafePointer<CChar>?
    let clear: @convention(c) (Result) -> Void
    let ntuples: @convention(c) (Result) -> Int32
    let nfields: @convention(c) (Result) -> Int32
    let fname: @convention(c) (Result, Int32) -> UnsafePointer<CChar>?
    let ftype: @convention(c) (Result, Int32) -> UInt32
    let getvalue: @convention(c) (Result, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let getlength: @convention(c) (Result, Int32, Int32) -> Int32
    let getisnull: @convention(c) (Result, Int32, Int32) -> Int32
    let transactionStatus: @convention(c) (Connection) -> Int32
    let setNoticeProcessor: @convention(c) (Connection, NoticeProcessor?, UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?

    // ConnStatusType, ExecStatusType, PGTransactionStatusType and the diagnostic field codes.
    static let connectionOK: Int32 = 0
    static let commandOK: Int32 = 1
    static let tuplesOK: Int32 = 2
    static let transactionIdle: Int32 = 0
    static let transactionActive: Int32 = 1
    static let transactionInTransaction: Int32 = 2
    static let transactionInError: Int32 = 3
    static let diagnosticSQLState = Int32(UInt8(ascii: "C"))
    static let diagnosticPrimaryMessage = Int32(UInt8(ascii: "M"))

    /// The library, loaded once per process; an error if it cannot be.
    static let shared: Swift.Result<LibPQ, StorageError> = load()

    static func load() -> Swift.Result<LibPQ, StorageError> {
        let names = ["libpq.so.5", "libpq.so", "libpq.5.dylib", "libpq.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            return .failure(StorageError(.other, "a vault on PostgreSQL needs libpq, PostgreSQL's client library, which is not installed (Debian: apt-get install libpq5)"))
        }
        func symbol<F>(_ name: String, as type: F.Type) throws -> F {
            guard let pointer = dlsym(handle, name) else { throw StorageError(.other, "the libpq installed has no \(name); install libpq 10 or later") }
            return unsafeBitCast(pointer, to: type)
        }
        do {
            return .success(LibPQ(
                connectdb: try symbol("PQconnectdb", as: (@convention(c) (UnsafePointer<CChar>) -> Connection?).self),
                status: try symbol("PQstatus", as: (@convention(c) (Connection) -> Int32).self),
                errorMessage: try symbol("PQerrorMessage", as: (@convention(c) (Connection) -> UnsafePointer<CChar>?).self),
                finish: try symbol("PQfinish", as: (@convention(c) (Connection) -> Void).self),
                exec: try symbol("PQexec", as: (@convention(c) (Connection, UnsafePointer<CChar>) -> Result?).self),
                execParams: try symbol("PQexecParams", as: (@convention(c) (
                    Connection, UnsafePointer<CChar>, Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?,
                    UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
                ) -> Result?).self),
                resultStatus: try symbol("PQresultStatus", as: (@convention(c) (Result) -> Int32).self),
                resultErrorField: try symbol("PQresultErrorField", as: (@convention(c) (Result, Int32) -> UnsafePointer<CChar>?).self),
                clear: try symbol("PQclear", as: (@convention(c) (Result) -> Void).self),
                ntuples: try symbol("PQntuples", as: (@convention(c) (Result) -> Int32).self),
                nfields: try symbol("PQnfields", as: (@convention(c) (Result) -> Int32).self),
                fname: try symbol("PQfname", as: (@convention(c) (Result, Int32) -> UnsafePointer<CChar>?).self),
                ftype: try symbol("PQftype", as: (@convention(c) (Result, Int32) -> UInt32).self),
                getvalue: try symbol("PQgetvalue", as: (@convention(c) (Result, Int32, Int32) -> UnsafeMutablePointer<CChar>?).self),
                getlength: try symbol("PQgetlength", as: (@convention(c) (Result, Int32, Int32) -> Int32).self),
                getisnull: try symbol("PQgetisnull", as: (@convention(c) (Result, Int32, Int32) -> Int32).self),
                transactionStatus: try symbol("PQtransactionStatus", as: (@convention(c) (Connection) -> Int32).self),
                setNoticeProcessor: try symbol(
                    "PQsetNoticeProcessor", as: (@convention(c) (Connection, NoticeProcessor?, UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?).self)
            ))
        } catch let error as StorageError {
            return .failure(error)
        } catch {
            return .failure(StorageError(.other, "\(error)"))
        }
    }
}

import CryptoPrimitives
import Dispatch

/// Opens the records of an expiry listing on a second thread, while the listing's thread goes on
/// stepping through the rows: on 10,000 apps, authenticating and decoding the records is about
/// as much work as reading them, and monitoring runs the listing on every check.
///
/// The listing's thread copies each row's columns (``add(id:app:state:expiresAt:keyIDHash:meta:appSlot:newApp:)``)
/// into a batch, and hands the batches to a serial queue, which opens the rows in the order they
/// were added, with a cipher context of its own: each credential, and each app the first time a
/// row names it, into the listing's entries. ``finish()`` waits for the queue.
///
/// `@unchecked Sendable`: the listing's side (`batch`, `count`) is touched by the listing's thread
/// only, and the queue's side (`entries`, `apps`, `undecided`, `failure`) by the queue only, until
/// `finish()` has waited for every batch, after which the listing's thread reads it.
final class ListingOpener: @unchecked Sendable {
    /// The first row that could not be opened, by its place in the listing, and why.
    struct Failure {
        let row: Int
        let error: any Error
    }

    /// An entry whose custody depends on whether the vault holds the value (an app a person
    /// rotates), which only its row tells: the listing's thread asks, by the row's id.
    struct Undecided {
        let entry: Int
        let id: [UInt8]
    }

    /// The columns of an app's row that its record is bound to (its id is the credential's `app`).
    struct AppColumns {
        let labelHash: UnsafeRawBufferPointer
        let appIDHash: UnsafeRawBufferPointer
        let meta: UnsafeRawBufferPointer
    }

    /// One listing row's columns, as ranges of its batch's bytes.
    private struct Copied {
        let row: Int
        let id: Range<Int>
        let app: Range<Int>
        let state: Range<Int>
        let keyIDHash: Range<Int>
        let meta: Range<Int>
        let expiresAt: Int64
        let appSlot: Int
        /// The app's label hash, app-ID hash and record, for the first row that names it.
        let newApp: (labelHash: Range<Int>, appIDHash: Range<Int>, meta: Range<Int>)?
    }

    private struct Batch {
        var bytes: [UInt8] = []
        var rows: [Copied] = []
    }

    /// Rows handed over at a time: enough that the queue is rarely woken, few enough that it
    /// starts early.
    private static let batchSize = 64
    /// Bytes reserved per row of a batch: a credential's columns and, mostly, its app's.
    private static let bytesPerRow = 640

    private let queue = DispatchQueue(label: "secrets.expiring.open")
    private let group = DispatchGroup()
    private let vaultID: [UInt8]
    private let context: AEADContext
    private var batch = Batch()
    private var count = 0
    private var entries: [ExpiringCredential] = []
    private var apps: [App] = []
    private var undecided: [Undecided] = []
    private var failure: Failure?

    /// The most rows reserved up front (about 22,000 are listed on 100,000 apps). The count
    /// comes from the index, which nothing authenticates: a file with millions of forged entries
    /// must fail at its first damaged row, not on reserving room for all of them first.
    static let reservationLimit = 1 << 16

    /// - Parameter expectedRows: how many rows the listing will add, to reserve its entries once
    ///   instead of growing them through the doublings (each a copy of all the entries so far);
    ///   at most ``reservationLimit``.
    init(vaultID: [UInt8], context: AEADContext, expectedRows: Int) {
        self.vaultID = vaultID
        self.context = context
        let reserved = min(max(expectedRows, 0), Self.reservationLimit)
        entries.reserveCapacity(reserved)
        apps.reserveCapacity(reserved)
        startBatch()
    }

    /// The number of rows added so far: the listing place of the next one.
    var rowCount: Int { count }

    /// Copies a credential's row to be opened. `appSlot` is its app's slot in what ``finish()``
    /// returns; `newApp` carries the app's columns for the first row that names that slot.
    func add(
        id: UnsafeRawBufferPointer, app: UnsafeRawBufferPointer, state: UnsafeRawBufferPointer, expiresAt: Int64,
        keyIDHash: UnsafeRawBufferPointer, meta: UnsafeRawBufferPointer, appSlot: Int, newApp: AppColumns?
    ) {
        func copy(_ part: UnsafeRawBufferPointer) -> Range<Int> {
            let start = batch.bytes.count
            batch.bytes.append(contentsOf: part)
            return start..<batch.bytes.count
        }
        let idRange = copy(id), appRange = copy(app), stateRange = copy(state), keyRange = copy(keyIDHash), metaRange = copy(meta)
        let appRanges = newApp.map { (labelHash: copy($0.labelHash), appIDHash: copy($0.appIDHash), meta: copy($0.meta)) }
        batch.rows.append(Copied(
            row: count, id: idRange, app: appRange, state: stateRange, keyIDHash: keyRange, meta: metaRange,
            expiresAt: expiresAt, appSlot: appSlot, newApp: appRanges))
        count += 1
        if batch.rows.count >= Self.batchSize { handOver() }
    }

    /// Waits until every row added is opened: the entries in listing order (each undecided one
    /// with the custody of a value not held), the undecided ones, and the first failure, if any
    /// (the rows before it only: after it, nothing more is opened).
    func finish() -> (entries: [ExpiringCredential], undecided: [Undecided], failure: Failure?) {
        handOver()
        group.wait()
        return (entries, undecided, failure)
    }

    private func startBatch() {
        batch = Batch()
        batch.bytes.reserveCapacity(Self.batchSize * Self.bytesPerRow)
        batch.rows.reserveCapacity(Self.batchSize)
    }

    private func handOver() {
        guard !batch.rows.isEmpty else { return }
        let handed = batch
        startBatch()
        group.enter()
        queue.async {
            self.open(handed)
            self.group.leave()
        }
    }

    /// On the queue: opens a batch's rows in order.
    private func open(_ batch: Batch) {
        var aad = RecordCipher.AssociatedDataWriter()
        batch.bytes.withUnsafeBytes { bytes in
            for copied in batch.rows {
                guard failure == nil else { return }
                do {
                    // The credential before its app: of one row, its own record's damage is told.
                    let credential = try openCredential(copied, in: bytes, aad: &aad)
                    if let newApp = copied.newApp {
                        apps.append(try openApp(copied, newApp, in: bytes, aad: &aad))
                    }
                    let app = apps[copied.appSlot]
                    if CredentialCustody.needsValueToTell(app, holder: credential.holder) {
                        undecided.append(Undecided(entry: entries.count, id: Array(UnsafeRawBufferPointer(rebasing: bytes[copied.id]))))
                    }
                    entries.append(ExpiringCredential(app: app, credential: credential, custody: .of(app, holder: credential.holder, holdsValue: false)))
                } catch {
                    failure = Failure(row: copied.row, error: error)
                }
            }
        }
    }

    private func openCredential(_ copied: Copied, in bytes: UnsafeRawBufferPointer, aad: inout RecordCipher.AssociatedDataWriter) throws -> Credential {
        let id = UnsafeRawBufferPointer(rebasing: bytes[copied.id])
        let state = UnsafeRawBufferPointer(rebasing: bytes[copied.state])
        // credentialMetaBinding: context [state, expiry], bound [app id, key-ID hash], row id.
        aad.begin(vaultID: vaultID, table: "credentials", column: "meta")
        aad.append(state)
        aad.append(String(copied.expiresAt))
        aad.append(UnsafeRawBufferPointer(rebasing: bytes[copied.app]))
        aad.append(UnsafeRawBufferPointer(rebasing: bytes[copied.keyIDHash]))
        aad.finish(row: id)
        let credential = try aad.bytes.withUnsafeBytes { associatedData in
            try RecordCipher.openRecord(
                UnsafeRawBufferPointer(rebasing: bytes[copied.meta]), using: context, associatedData: associatedData,
                table: "credentials", column: "meta", rowName: { RecordID(bytes: Array(id)).description }, Credential.init(record:))
        }
        guard credential.state.rawValue.utf8.elementsEqual(state), credential.expires.map(Vault.epochSeconds) == copied.expiresAt else {
            throw VaultError.tampered(
                table: "credentials", row: RecordID(bytes: Array(id)).description,
                reason: "has clear columns that disagree with its sealed record")
        }
        return credential
    }

    private func openApp(
        _ copied: Copied, _ columns: (labelHash: Range<Int>, appIDHash: Range<Int>, meta: Range<Int>),
        in bytes: UnsafeRawBufferPointer, aad: inout RecordCipher.AssociatedDataWriter
    ) throws -> App {
        let id = UnsafeRawBufferPointer(rebasing: bytes[copied.app])
        // appBinding: bound [label hash, app-ID hash], row app id.
        aad.begin(vaultID: vaultID, table: "apps", column: "meta")
        aad.append(UnsafeRawBufferPointer(rebasing: bytes[columns.labelHash]))
        aad.append(UnsafeRawBufferPointer(rebasing: bytes[columns.appIDHash]))
        aad.finish(row: id)
        return try aad.bytes.withUnsafeBytes { associatedData in
            try RecordCipher.openRecord(
                UnsafeRawBufferPointer(rebasing: bytes[columns.meta]), using: context, associatedData: associatedData,
                table: "apps", column: "meta", rowName: { RecordID(bytes: Array(id)).description }, App.init(record:))
        }
    }
}

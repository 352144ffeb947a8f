import CryptoPrimitives
import Dispatch

/// Opens the app records of an expiry listing on a second thread, while the listing's thread
/// goes on reading rows and opening credentials: on 10,000 apps, opening the apps is the larger
/// half of the listing's own work, and monitoring runs it on every check.
///
/// The listing's thread copies each new app's columns (``add(firstRow:id:labelHash:appIDHash:meta:)``)
/// and hands them over in batches to a serial queue, which authenticates and decodes them in the
/// order they were added, with a cipher context of its own. ``finish()`` waits for the queue.
///
/// `@unchecked Sendable`: the listing's side (`pending`, `count`) is touched by the listing's
/// thread only, and the queue's side (`opened`, `failure`) by the queue only, until `finish()`
/// has waited for every batch, after which the listing's thread reads it.
final class ListingAppOpener: @unchecked Sendable {
    /// The first record that could not be opened, and the listing row that first named it.
    struct Failure {
        let row: Int
        let error: any Error
    }

    /// One app row's columns, copied out of the statement.
    private struct Copied: Sendable {
        let firstRow: Int
        let bytes: [UInt8]
        let id: Range<Int>
        let labelHash: Range<Int>
        let appIDHash: Range<Int>
        let meta: Range<Int>
    }

    /// Apps handed over at a time: enough that the queue is rarely woken, few enough that it
    /// starts early.
    private static let batchSize = 64

    private let queue = DispatchQueue(label: "secrets.expiring.apps")
    private let group = DispatchGroup()
    private let vaultID: [UInt8]
    private let context: AEADContext
    private var pending: [Copied] = []
    private var count = 0
    private var opened: [App] = []
    private var failure: Failure?

    init(vaultID: [UInt8], context: AEADContext) {
        self.vaultID = vaultID
        self.context = context
        pending.reserveCapacity(Self.batchSize)
    }

    /// Copies an app's row (its id and the columns its record is bound to) to be opened, and
    /// returns its slot in what ``finish()`` returns. `firstRow` is the listing row that named it.
    func add(firstRow: Int, id: UnsafeRawBufferPointer, labelHash: UnsafeRawBufferPointer, appIDHash: UnsafeRawBufferPointer, meta: UnsafeRawBufferPointer) -> Int {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(id.count + labelHash.count + appIDHash.count + meta.count)
        func copy(_ part: UnsafeRawBufferPointer) -> Range<Int> {
            let start = bytes.count
            bytes.append(contentsOf: part)
            return start..<bytes.count
        }
        let idRange = copy(id), labelRange = copy(labelHash), appIDRange = copy(appIDHash), metaRange = copy(meta)
        pending.append(Copied(firstRow: firstRow, bytes: bytes, id: idRange, labelHash: labelRange, appIDHash: appIDRange, meta: metaRange))
        count += 1
        if pending.count >= Self.batchSize { handOver() }
        return count - 1
    }

    /// Waits until every app added is opened: the apps by slot, and the first failure, if any
    /// (the apps up to it only: after it, nothing more is opened).
    func finish() -> (apps: [App], failure: Failure?) {
        handOver()
        group.wait()
        return (opened, failure)
    }

    private func handOver() {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        group.enter()
        queue.async {
            self.open(batch)
            self.group.leave()
        }
    }

    /// On the queue: opens a batch, each app into the next slot.
    private func open(_ batch: [Copied]) {
        var aad = RecordCipher.AssociatedDataWriter()
        for copied in batch {
            guard failure == nil else { return }
            do {
                let app = try copied.bytes.withUnsafeBytes { bytes in
                    let id = UnsafeRawBufferPointer(rebasing: bytes[copied.id])
                    // appBinding: bound [label hash, app-ID hash], row app id.
                    aad.begin(vaultID: vaultID, table: "apps", column: "meta")
                    aad.append(UnsafeRawBufferPointer(rebasing: bytes[copied.labelHash]))
                    aad.append(UnsafeRawBufferPointer(rebasing: bytes[copied.appIDHash]))
                    aad.finish(row: id)
                    return try aad.bytes.withUnsafeBytes { associatedData in
                        try RecordCipher.openRecord(
                            UnsafeRawBufferPointer(rebasing: bytes[copied.meta]), using: context, associatedData: associatedData,
                            table: "apps", column: "meta", rowName: { RecordID(bytes: Array(id)).description }, App.init(record:))
                    }
                }
                opened.append(app)
            } catch {
                failure = Failure(row: copied.firstRow, error: error)
            }
        }
    }
}

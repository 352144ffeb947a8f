import CryptoPrimitives
import Foundation
import Storage

extension Vault {
    /// Every credential that is not retired and has expired or expires within `window` of `now`,
    /// soonest first, secrets and certificates alike. Needs only the metadata key, so a reader
    /// can run it.
    ///
    /// This is what monitoring runs, so it reads only the rows in the window (through the expiry
    /// index; a row itself only to tell whether a person-rotated app's value is held), and each
    /// app's record once. (Mapping the file for it was tried: the kernel maps 16 pages around
    /// every one touched, so on 100,000 apps the listing's resident size grew to 313 MB.)
    ///
    /// - The listing's thread reads the rows, and copies each one's columns, with its app's the
    ///   first time a row names it, for ``ListingOpener`` to authenticate and decode meanwhile on
    ///   a second thread: on 10,000 apps that is about as much work as reading the rows.
    ///
    /// Every record is still authenticated with all of its associated data, and a damaged row
    /// fails the listing with the error of the first damaged row in the listing's order, as one
    /// pass would.
    public func expiring(within window: TimeInterval, now: Date = Date()) throws -> [ExpiringCredential] {
        let limit = Self.epochSeconds(now.addingTimeInterval(window))
        return try read { db in
            let inWindow = "c.state <> 'retired' AND c.expires_at IS NOT NULL AND c.expires_at <= ?"
            // Counted first, off the same index, so that the entries are reserved once.
            let expected = try db.value(Int.self, sql: "SELECT count(*) FROM credentials c WHERE \(inWindow)", arguments: [limit]) ?? 0
            let opener = ListingOpener(vaultID: keys.vaultID, context: try metadataContext(), expectedRows: expected)
            var appSlots: [AppKey: Int] = [:]
            var appCount = 0
            var failure: ListingOpener.Failure?
            do {
                try db.scan(sql: """
                    SELECT c.id, c.app, c.state, c.expires_at, c.key_id_hash, c.meta, a.label_hash, a.app_id_hash, a.meta
                    FROM credentials c LEFT JOIN apps a ON a.id = c.app
                    WHERE \(inWindow)
                    ORDER BY c.expires_at, c.id
                    """, arguments: [limit]
                ) { row in
                    let appID = row.bytes(1)
                    let key = AppKey(appID)
                    let slot: Int
                    var newApp: ListingOpener.AppColumns?
                    if let key, let known = appSlots[key] {
                        slot = known
                    } else {
                        // A credential whose app row was deleted: an inner join would drop it silently.
                        guard !row.isNull(8) else {
                            throw VaultError.tampered(
                                table: "credentials", row: RecordID(bytes: Array(row.bytes(0))).description,
                                reason: "belongs to apps row \(RecordID(bytes: Array(appID)).description), which is missing")
                        }
                        newApp = ListingOpener.AppColumns(labelHash: row.bytes(6), appIDHash: row.bytes(7), meta: row.bytes(8))
                        slot = appCount
                        appCount += 1
                        // An id of another length gets a slot per row, so two ids never share one.
                        if let key { appSlots[key] = slot }
                    }
                    opener.add(
                        id: row.bytes(0), app: appID, state: row.text(2), expiresAt: row.integer(3), keyIDHash: row.bytes(4),
                        meta: row.bytes(5), appSlot: slot, newApp: newApp)
                }
            } catch {
                failure = ListingOpener.Failure(row: opener.rowCount, error: error)
            }
            let opened = opener.finish()
            if let openFailure = opened.failure, openFailure.row < failure?.row ?? .max { throw openFailure.error }
            if let failure { throw failure.error }

            // Whether the value is held matters for an app a person rotates only; asking reads
            // the row itself, off the index, so it is asked for those alone.
            var entries = opened.entries
            for item in opened.undecided {
                let holdsValue = try db.value(
                    Bool.self, sql: "SELECT length(secret) IS NOT NULL FROM credentials WHERE id = ?", arguments: [Data(item.id)]) ?? false
                guard holdsValue else { continue }
                let entry = entries[item.entry]
                entries[item.entry] = ExpiringCredential(
                    app: entry.app, credential: entry.credential, custody: .of(entry.app, holder: entry.credential.holder, holdsValue: true))
            }
            return entries
        }
    }
}

/// A 16-byte row id as two integers, a cheaper dictionary key than the bytes themselves;
/// `nil` for any other length (such a row is not cached, so two ids can never share a key).
private struct AppKey: Hashable {
    let high: UInt64
    let low: UInt64

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        high = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        low = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    }
}

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
    /// - The credentials' records are opened on this thread as the rows are read, their columns
    ///   in place: the associated data is written from the backend's column buffers
    ///   (``StorageColumns``) into one reused buffer, in the layout
    ///   ``credentialMetaBinding(id:app:state:expiresAt:keyIDHash:)`` describes.
    /// - The apps' records, the larger half of the work, are copied out and opened meanwhile on a
    ///   second thread (``ListingAppOpener``).
    ///
    /// Every record is still authenticated with all of its associated data, and a damaged row
    /// fails the listing with the error of the first damaged row in the listing's order, as one
    /// pass would.
    public func expiring(within window: TimeInterval, now: Date = Date()) throws -> [ExpiringCredential] {
        let limit = Self.epochSeconds(now.addingTimeInterval(window))
        return try read { db in
            let context = try metadataContext()
            let vaultID = keys.vaultID
            let opener = ListingAppOpener(vaultID: vaultID, context: try metadataContext())
            var appSlots: [AppKey: Int] = [:]
            var listed: [ListedCredential] = []
            // The listed rows' ids, for the few whose custody needs their row.
            var ids: [UInt8] = []
            var aad = RecordCipher.AssociatedDataWriter()
            var failure: ListingAppOpener.Failure?
            do {
                try db.scan(sql: """
                    SELECT c.id, c.app, c.state, c.expires_at, c.key_id_hash, c.meta, a.label_hash, a.app_id_hash, a.meta
                    FROM credentials c LEFT JOIN apps a ON a.id = c.app
                    WHERE c.state <> 'retired' AND c.expires_at IS NOT NULL AND c.expires_at <= ?
                    ORDER BY c.expires_at, c.id
                    """, arguments: [limit]
                ) { row in
                    let id = row.bytes(0)
                    let appID = row.bytes(1)
                    let state = row.text(2)
                    let expiresAt = row.integer(3)
                    // credentialMetaBinding: context [state, expiry], bound [app id, key-ID hash], row id.
                    aad.begin(vaultID: vaultID, table: "credentials", column: "meta")
                    aad.append(state)
                    aad.append(String(expiresAt))
                    aad.append(appID)
                    aad.append(row.bytes(4))
                    aad.finish(row: id)
                    let credential = try aad.bytes.withUnsafeBytes { associatedData in
                        try RecordCipher.openRecord(
                            row.bytes(5), using: context, associatedData: associatedData, table: "credentials", column: "meta",
                            rowName: { RecordID(bytes: Array(id)).description }, Credential.init(record:))
                    }
                    guard credential.state.rawValue.utf8.elementsEqual(state), credential.expires.map(Self.epochSeconds) == expiresAt else {
                        throw VaultError.tampered(
                            table: "credentials", row: RecordID(bytes: Array(id)).description,
                            reason: "has clear columns that disagree with its sealed record")
                    }
                    let key = AppKey(appID)
                    let slot: Int
                    if let key, let known = appSlots[key] {
                        slot = known
                    } else {
                        // A credential whose app row was deleted: an inner join would drop it silently.
                        guard !row.isNull(8) else {
                            throw VaultError.tampered(
                                table: "credentials", row: RecordID(bytes: Array(id)).description,
                                reason: "belongs to apps row \(RecordID(bytes: Array(appID)).description), which is missing")
                        }
                        slot = opener.add(firstRow: listed.count, id: appID, labelHash: row.bytes(6), appIDHash: row.bytes(7), meta: row.bytes(8))
                        // An id of another length gets a slot per row, so two ids never share one.
                        if let key { appSlots[key] = slot }
                    }
                    ids.append(contentsOf: id)
                    listed.append(ListedCredential(credential: credential, appSlot: slot, id: ids.count - id.count..<ids.count))
                }
            } catch {
                failure = ListingAppOpener.Failure(row: listed.count, error: error)
            }
            let (apps, appFailure) = opener.finish()
            if let appFailure, appFailure.row < failure?.row ?? .max { throw appFailure.error }
            if let failure { throw failure.error }

            var result: [ExpiringCredential] = []
            result.reserveCapacity(listed.count)
            for entry in listed {
                let app = apps[entry.appSlot]
                // Whether the value is held matters for an app a person rotates only; asking reads
                // the row itself, off the index, so it is asked for those alone.
                var holdsValue = false
                if CredentialCustody.needsValueToTell(app, holder: entry.credential.holder) {
                    holdsValue = try db.value(
                        Bool.self, sql: "SELECT length(secret) IS NOT NULL FROM credentials WHERE id = ?", arguments: [Data(ids[entry.id])]) ?? false
                }
                result.append(ExpiringCredential(app: app, credential: entry.credential, custody: .of(app, holder: entry.credential.holder, holdsValue: holdsValue)))
            }
            return result
        }
    }
}

/// A credential of the listing, opened, with its app's slot in ``ListingAppOpener``.
private struct ListedCredential {
    let credential: Credential
    let appSlot: Int
    /// Its row id's bytes in the listing's buffer of ids.
    let id: Range<Int>
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

@testable import ClientSecrets
import Foundation
import FuzzSupport

/// libFuzzer entry point: the input is the plaintext of a `secrets export` (JSON).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExportDocument(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { ExportDocumentTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzExportDocument_main")
public func fuzzExportDocumentMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzExportDocument)
}

/// The export reader (`ExportDocument.decode`), the document checks `import` makes, and import
/// into a vault followed by export.
///
/// Properties, beyond never trapping:
/// - A refusal is ``VaultError/invalidDocument(reason:)``, nothing else.
/// - Parse → encode → parse is the identity, and encoding is stable.
/// - A document that passes the import checks, whose apps have distinct app IDs and labels,
///   imports into an empty vault, and exporting that vault gives the document back (app IDs,
///   tenants and key IDs lowercased, times to the whole second, order aside). This is checked
///   for one input in four, chosen by its bytes.
enum ExportDocumentTarget {
    static let exportTime = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ input: UnsafeRawBufferPointer) {
        let document: ExportDocument
        do {
            document = try ExportDocument.decode(Data(input))
        } catch let error as VaultError where error.code == .invalidDocument {
            return
        } catch {
            Property.fail("ExportDocument.decode threw something other than invalidDocument: \(error)")
        }
        checkRoundTrip(document)
        do {
            try Vault.validate(document)
        } catch let error as VaultError where error.code == .invalidDocument {
            return
        } catch {
            Property.fail("the import checks threw something other than invalidDocument: \(error)")
        }
        // A vault per input is the slow part; one input in four gets one.
        if Sampling.picks(input, oneIn: 4) { checkVaultRoundTrip(document) }
    }

    static func checkRoundTrip(_ document: ExportDocument) {
        do {
            let encoded = try document.encoded()
            let again = try ExportDocument.decode(encoded)
            Property.require(again == document, "parse → encode → parse changed the document")
            Property.require(try again.encoded() == encoded, "encoding a re-parsed document gives other bytes")
        } catch {
            Property.fail("a parsed document does not encode and parse again: \(error)")
        }
    }

    static func checkVaultRoundTrip(_ document: ExportDocument) {
        let appIDs = document.apps.map { $0.appId.lowercased() }
        let labels = document.apps.map { $0.label.lowercased() }
        // Repeated apps merge or conflict on import, by design; the comparison below needs one
        // entry per app.
        guard Set(appIDs).count == appIDs.count, Set(labels).count == labels.count else { return }
        let exported: ExportDocument
        do {
            exported = try ScratchVault.with { vault in
                // Trust is checked by the unit and end-to-end tests; this checks what an accepted document does.
                let summary = try vault.importDocument(document, trusting: [.otherVault, .actions], now: exportTime)
                Property.require(summary.conflictsSkipped.isEmpty, "an import into an empty vault reported conflicts")
                Property.require(summary.appsAdded == document.apps.count, "an import into an empty vault did not add every app")
                return try vault.exportDocument(now: exportTime)
            }
        } catch {
            Property.fail("a document that passed the import checks did not import into an empty vault: \(error)")
        }
        let expected = Dictionary(uniqueKeysWithValues: document.apps.map { (normalized($0).appId, normalized($0)) })
        let actual = Dictionary(exported.apps.map { (normalized($0).appId, normalized($0)) }, uniquingKeysWith: { first, _ in first })
        Property.require(actual.count == exported.apps.count, "the export holds an app twice")
        Property.require(actual == expected, "import → export does not give the document back")
    }

    /// The form the vault keeps: lowercased IDs, whole seconds, credentials in key-ID order.
    static func normalized(_ entry: ExportedApp) -> ExportedApp {
        var copy = ExportedApp(app: entry.app, credentials: [])
        copy.credentials = entry.credentials.map { credential in
            var credential = credential
            credential.keyId = credential.keyId.lowercased()
            credential.created = credential.created.wholeSeconds
            credential.validFrom = credential.validFrom.wholeSeconds
            credential.expires = credential.expires?.wholeSeconds
            credential.retireAfter = credential.retireAfter?.wholeSeconds
            return credential
        }.sorted { $0.keyId < $1.keyId }
        return copy
    }
}

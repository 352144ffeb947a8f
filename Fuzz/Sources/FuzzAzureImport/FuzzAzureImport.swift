@testable import ClientSecrets
import Foundation
import FuzzSupport

/// libFuzzer entry point: the input is the JSON given to `secrets import --from-azure`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAzureImport(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { AzureImportTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzAzureImport_main")
public func fuzzAzureImportMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzAzureImport)
}

/// The readers of `az ad app list`, `az ad app credential list` and Graph `/applications` JSON
/// (``AzureApplicationsDocument``), their date parser, and `importAzure` into a vault.
///
/// Properties, beyond never trapping:
/// - A refusal is ``VaultError/invalidDocument(reason:)``, and neither a refusal nor a parsed
///   document repeats a `secretText` value of the input.
/// - What parses has lowercased GUIDs, distinct app IDs and distinct key IDs per app; written
///   back as Graph JSON it parses to the same applications (times to the microsecond).
/// - Timestamps that parse agree with an independent computation from their fields.
/// - A parsed document imports into an empty vault (checked for one input in four, chosen by
///   its bytes); every app and credential is there, with
///   its expiry, and each app with credentials has exactly one current one, expiring last.
enum AzureImportTarget {
    static let appID = "6f3b1c2a-9d4e-4b7a-8c1d-2e5f6a7b8c9d"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ input: UnsafeRawBufferPointer) {
        let data = Data(input)
        let secrets = secretTexts(in: data)
        for suppliedAppID in [nil, appID] {
            let document: AzureApplicationsDocument
            do {
                document = try AzureApplicationsDocument.parse(data, appID: suppliedAppID)
            } catch let error as VaultError where error.code == .invalidDocument {
                let reason = error.description
                for secret in secrets { Property.require(!reason.contains(secret), "a refusal repeats a secretText") }
                continue
            } catch {
                Property.fail("AzureApplicationsDocument.parse threw something other than invalidDocument: \(error)")
            }
            checkDocument(document, secrets: secrets)
            checkRoundTrip(document)
            // A vault per input is the slow part; one input in four gets one.
            if Sampling.picks(input, oneIn: 4) { checkImport(document) }
        }
        checkDates(input)
    }

    /// The `secretText` strings anywhere in the JSON, long enough to search for.
    static func secretTexts(in data: Data) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [] }
        var found: [String] = []
        func visit(_ value: Any) {
            if let array = value as? [Any] { array.forEach(visit) }
            if let object = value as? [String: Any] {
                if let secret = object["secretText"] as? String, secret.count >= 6 { found.append(secret) }
                object.values.forEach(visit)
            }
        }
        visit(root)
        return found
    }

    static func checkDocument(_ document: AzureApplicationsDocument, secrets: [String]) {
        let appIDs = document.applications.map(\.appID)
        Property.require(Set(appIDs).count == appIDs.count, "a parsed document holds an app ID twice")
        for application in document.applications {
            Property.require(isLowercasedGUID(application.appID), "a parsed app ID is not a lowercased GUID")
            let keyIDs = application.credentials.map(\.keyID)
            Property.require(Set(keyIDs).count == keyIDs.count, "a parsed app holds a key ID twice")
            Property.require(keyIDs.allSatisfy(isLowercasedGUID), "a parsed key ID is not a lowercased GUID")
            let texts = [application.displayName] + application.credentials.flatMap { [$0.displayName, $0.hint] }
            for text in texts.compactMap({ $0 }) {
                Property.require(!secrets.contains(text), "a parsed document holds a secretText value")
            }
        }
    }

    static func isLowercasedGUID(_ text: String) -> Bool {
        Validation.isGUID(text) && text == text.lowercased()
    }

    /// The document written as Graph `/applications` JSON, with times to the nanosecond.
    static func graphJSON(_ document: AzureApplicationsDocument) -> Data {
        func timestamp(_ date: Date) -> String {
            let seconds = date.timeIntervalSince1970.rounded(.down)
            let nanoseconds = Int(((date.timeIntervalSince1970 - seconds) * 1e9).rounded(.down))
            let whole = DateParser.format(Date(timeIntervalSince1970: seconds))  // …T12:34:56Z
            let digits = String(nanoseconds)
            return whole.dropLast() + "." + String(repeating: "0", count: 9 - digits.count) + digits + "Z"
        }
        let applications: [[String: Any]] = document.applications.map { application in
            [
                "appId": application.appID.uppercased(),
                "displayName": application.displayName as Any? ?? NSNull(),
                "passwordCredentials": application.credentials.map { credential -> [String: Any] in
                    [
                        "keyId": credential.keyID,
                        "displayName": credential.displayName as Any? ?? NSNull(),
                        "hint": credential.hint as Any? ?? NSNull(),
                        "startDateTime": credential.start.map(timestamp) as Any? ?? NSNull(),
                        "endDateTime": credential.end.map(timestamp) as Any? ?? NSNull(),
                    ]
                },
            ]
        }
        return try! JSONSerialization.data(withJSONObject: ["@odata.context": "fuzz", "value": applications])
    }

    static func checkRoundTrip(_ document: AzureApplicationsDocument) {
        let again: AzureApplicationsDocument
        do {
            again = try AzureApplicationsDocument.parse(graphJSON(document), appID: nil)
        } catch {
            Property.fail("a parsed document written back as Graph JSON does not parse: \(error)")
        }
        Property.require(again.applications.count == document.applications.count, "the Graph round trip changed the number of apps")
        func close(_ a: Date?, _ b: Date?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case (let a?, let b?): return abs(a.timeIntervalSince1970 - b.timeIntervalSince1970) < 1e-6
            default: return false
            }
        }
        for (a, b) in zip(document.applications, again.applications) {
            Property.require(a.appID == b.appID && a.displayName == b.displayName, "the Graph round trip changed an app")
            Property.require(a.credentials.count == b.credentials.count, "the Graph round trip changed the number of credentials")
            for (x, y) in zip(a.credentials, b.credentials) {
                Property.require(x.keyID == y.keyID && x.displayName == y.displayName && x.hint == y.hint, "the Graph round trip changed a credential")
                Property.require(close(x.start, y.start) && close(x.end, y.end), "the Graph round trip moved a time")
            }
        }
    }

    static func checkImport(_ document: AzureApplicationsDocument) {
        let exported: ExportDocument
        do {
            exported = try ScratchVault.with { vault in
                let summary = try vault.importAzure(document, tenant: "contoso.onmicrosoft.com", cloud: .global, now: now)
                Property.require(summary.appsAdded == document.applications.count, "importAzure into an empty vault did not add every app")
                return try vault.exportDocument(now: now)
            }
        } catch {
            Property.fail("a parsed Azure document did not import into an empty vault: \(error)")
        }
        let byAppID = Dictionary(exported.apps.map { ($0.appId, $0) }, uniquingKeysWith: { first, _ in first })
        for application in document.applications {
            guard let stored = byAppID[application.appID] else { Property.fail("an imported app is missing from the vault") }
            Property.require(stored.credentials.count == application.credentials.count, "an imported app has another number of credentials")
            for credential in application.credentials {
                guard let held = stored.credentials.first(where: { $0.keyId == credential.keyID }) else {
                    Property.fail("an imported credential is missing from the vault")
                }
                Property.require(held.value == nil, "an imported credential has a value")
                Property.require(held.expires == credential.end?.wholeSeconds, "an imported credential has another expiry")
            }
            let current = stored.credentials.filter { $0.state == .current }
            if application.credentials.isEmpty { continue }
            Property.require(current.count == 1, "an imported app with credentials does not have exactly one current credential")
            let latest = stored.credentials.map { $0.expires ?? .distantFuture }.max()
            Property.require((current[0].expires ?? .distantFuture) == latest, "the current credential is not the one that expires last")
        }
    }

    /// The input (when short) as one timestamp, against a calendar computation of its fields.
    static func checkDates(_ input: UnsafeRawBufferPointer) {
        guard input.count <= 64 else { return }
        let text = String(decoding: input, as: UTF8.self)
        guard let date = RFC3339Timestamp.parse(text) else { return }
        let bytes = Array(text.utf8)
        // The parser accepted it, so the first 19 bytes are "YYYY-MM-DDTHH:MM:SS".
        func field(_ range: Range<Int>) -> Int { Int(String(decoding: bytes[range], as: UTF8.self))! }
        var components = DateComponents()
        (components.year, components.month, components.day) = (field(0..<4), field(5..<7), field(8..<10))
        (components.hour, components.minute, components.second) = (field(11..<13), field(14..<16), field(17..<19))
        var offset = 0
        if let last = bytes.last, last != UInt8(ascii: "Z"), last != UInt8(ascii: "z") {
            let zone = Array(bytes.suffix(bytes.contains(UInt8(ascii: ":")) && bytes[bytes.count - 3] == UInt8(ascii: ":") ? 6 : 5))
            let digits = zone.filter { (0x30...0x39).contains($0) }
            let hours = Int(String(decoding: digits.prefix(2), as: UTF8.self))!
            let minutes = Int(String(decoding: digits.suffix(2), as: UTF8.self))!
            offset = (zone[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        // ISO 8601 counts in the proleptic Gregorian calendar, Foundation's in the Julian one
        // before the 1582 reform; the parser's arithmetic is the same for every year, so
        // comparing from 1583 on loses nothing.
        guard components.year! >= 1583 else { return }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let reference = calendar.date(from: components) else { Property.fail("the calendar cannot place a parsed timestamp") }
        let expected = reference.timeIntervalSince1970 - Double(offset)
        Property.require(date.timeIntervalSince1970.rounded(.down) == expected, "a parsed timestamp names another instant than its fields")
    }
}

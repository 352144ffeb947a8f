import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a delta page's JSON directly, byte by byte, the same document `JSONSerialization`
/// made from dictionaries (keys in the same order, strings escaped as JSON requires): a tenant of
/// 10,000 applications is 101 pages, and boxing every field into `Any` cost the emulator about
/// 40 ms a page, in the critical path of the client it serves (BENCHMARKS.md, the whole tenant).
struct DeltaPageWriter {
    private(set) var bytes: [UInt8] = []
    private var first = true
    let selected: Set<String>?

    init(context: String, selected: Set<String>?) {
        self.selected = selected
        bytes.reserveCapacity(64 * 1024)
        raw("{\"@odata.context\":")
        string(context)
        raw(",\"value\":[")
    }

    mutating func application(_ application: EntraEmulatorState.Application) {
        object(id: application.objectID, appID: application.appID, displayName: application.displayName,
               extra: ("signInAudience", "AzureADMyOrg"), certificates: application.certificates, secrets: application.secrets)
    }

    mutating func servicePrincipal(_ principal: EntraEmulatorState.ServicePrincipal) {
        object(id: principal.objectID, appID: principal.appID, displayName: principal.displayName,
               extra: ("servicePrincipalType", "Application"), certificates: principal.certificates, secrets: principal.secrets)
    }

    mutating func removed(_ objectID: String) {
        separate()
        raw("{\"id\":")
        string(objectID)
        raw(",\"@removed\":{\"reason\":\"changed\"}}")
    }

    /// Ends the page with the link of the next page (`@odata.nextLink`) or round (`@odata.deltaLink`).
    mutating func finish(linkName: String, link: String?) -> Data {
        raw("]")
        if let link {
            raw(",")
            string(linkName)
            raw(":")
            string(link)
        }
        raw("}")
        return Data(bytes)
    }

    private func wants(_ key: String) -> Bool { selected?.contains(key) ?? true }

    private mutating func object(
        id: String, appID: String, displayName: String, extra: (String, String), certificates: [EmulatedCertificate], secrets: [EmulatedSecret]
    ) {
        separate()
        raw("{\"id\":")
        string(id)
        if wants("appId") { raw(",\"appId\":"); string(appID) }
        if wants("displayName") { raw(",\"displayName\":"); string(displayName) }
        if wants(extra.0) { raw(","); string(extra.0); raw(":"); string(extra.1) }
        if wants("keyCredentials") {
            raw(",\"keyCredentials\":[")
            for (index, certificate) in certificates.enumerated() {
                if index > 0 { raw(",") }
                raw("{\"customKeyIdentifier\":")
                string(Data(certificate.thumbprint).base64EncodedString())
                raw(",\"displayName\":")
                optional(certificate.displayName)
                raw(",\"endDateTime\":")
                string(EmulatorJSON.format(certificate.end))
                raw(",\"key\":null,\"keyId\":")
                string(certificate.keyID)
                raw(",\"startDateTime\":")
                string(EmulatorJSON.format(certificate.start))
                raw(",\"type\":\"AsymmetricX509Cert\",\"usage\":")
                string(certificate.usage)
                raw("}")
            }
            raw("]")
        }
        if wants("passwordCredentials") {
            raw(",\"passwordCredentials\":[")
            for (index, secret) in secrets.enumerated() {
                if index > 0 { raw(",") }
                raw("{\"customKeyIdentifier\":")
                optional(secret.customKeyIdentifier.map { Data($0).base64EncodedString() })
                raw(",\"displayName\":")
                optional(secret.displayName)
                raw(",\"endDateTime\":")
                string(EntraGraphAPI.dateText(secret.end))
                raw(",\"hint\":")
                string(secret.hint)
                raw(",\"keyId\":")
                string(secret.keyID)
                raw(",\"secretText\":null,\"startDateTime\":")
                string(EntraGraphAPI.dateText(secret.start))
                raw("}")
            }
            raw("]")
        }
        raw("}")
    }

    private mutating func separate() {
        if !first { raw(",") }
        first = false
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func optional(_ text: String?) {
        guard let text else { return raw("null") }
        string(text)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, `/` as is (as
    /// `.withoutEscapingSlashes` writes it).
    private mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

import Foundation

/// What `secrets import --from-azure` learns from Azure's JSON about app registrations and the
/// metadata of their client secrets (password credentials). It never holds a secret value.
///
/// ``parse(_:appID:)`` recognises three shapes by their content:
/// - `az ad app list` (az CLI 2.37 or later): an array of Microsoft Graph `application` objects.
/// - `az ad app credential list --id …`: an array of `passwordCredential` objects, which does not
///   say which app it belongs to, so the caller supplies the app ID (`--app-id`).
/// - Microsoft Graph `GET /v1.0/applications` (`{"@odata.context": …, "value": [application, …]}`)
///   or `GET /v1.0/applications/{id}` (a single application object).
///
/// Fields other than those read here are ignored, and so is a `secretText` that is present: it is
/// never read, stored or repeated, not even in an error. Graph's `@odata.nextLink` is not
/// followed; only the applications on the page given are imported.
///
/// The document is refused as a whole (``VaultError/invalidDocument(reason:)``) when it is not JSON,
/// has none of these shapes, or has an application or credential that is not valid: a missing or
/// malformed `appId` or `keyId`, a field of the wrong type, or a date that is not ISO 8601 with a
/// zone. Positions in reasons count from 1. Reasons never quote a field's value, only validated IDs.
/// Two applications with the same `appId`, or two credentials of one app with the same `keyId`,
/// are also refused rather than merged: Azure never lists them twice, so a repeat means the file
/// was edited or concatenated by hand, and guessing which copy is right could import stale data.
public struct AzureApplicationsDocument: Sendable, Hashable {
    /// The tool or API whose output the document is, as recognised from its shape.
    public enum Source: String, Sendable, Hashable {
        /// `az ad app list`: a JSON array of application objects.
        case azAppList = "az ad app list"
        /// `az ad app credential list --id …`: a JSON array of password credentials of one app.
        case azCredentialList = "az ad app credential list"
        /// Microsoft Graph `/v1.0/applications` (a collection) or `/v1.0/applications/{id}`.
        case graphApplications = "Microsoft Graph applications"
    }

    /// The metadata of one client secret (Graph `passwordCredential`); the secret itself is not here.
    public struct PasswordCredential: Sendable, Hashable {
        /// The credential's `keyId`: a GUID, lowercased.
        public var keyID: String
        /// The credential's description in Azure, if it has one.
        public var displayName: String?
        /// The first three characters of the secret as Azure reports them, if it does.
        public var hint: String?
        /// When the secret becomes valid, if Azure says.
        public var start: Date?
        /// When the secret expires, if Azure says.
        public var end: Date?
    }

    /// One app registration and the metadata of its client secrets.
    public struct Application: Sendable, Hashable {
        /// The application (client) ID, `appId` in Azure: a GUID, lowercased. Not the object `id`.
        public var appID: String
        /// The app's display name in Azure; `nil` when the document does not give one.
        public var displayName: String?
        /// The app's password credentials in document order; empty when it has none, or when the
        /// document leaves `passwordCredentials` out (for example a Graph `$select` without it).
        public var credentials: [PasswordCredential]
    }

    /// Which output the document was recognised as.
    public var source: Source
    /// The applications in document order: exactly one for ``Source/azCredentialList``.
    public var applications: [Application]

    /// Parses `json`, recognising its shape (see ``AzureApplicationsDocument``).
    ///
    /// - Parameters:
    ///   - json: The bytes of the file (UTF-8, or UTF-16/32 as Windows PowerShell may write it).
    ///   - appID: The app the credentials belong to. Required for (and only used by) the
    ///     `az ad app credential list` shape. An empty array `[]` is read as that shape, holding one
    ///     app without credentials, when `appID` is given, and as an empty `az ad app list` otherwise.
    /// - Throws: ``VaultError/invalidDocument(reason:)`` saying what is wrong and where.
    public static func parse(_ json: Data, appID: String?) throws -> AzureApplicationsDocument {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        } catch {
            // The parser's own message is not repeated: it could quote the document.
            throw invalid("not JSON")
        }
        if let items = root as? [Any] {
            if items.isEmpty {
                guard let appID else { return Self(source: .azAppList, applications: []) }
                let id = try suppliedAppID(appID)
                return Self(source: .azCredentialList, applications: [Application(appID: id, displayName: nil, credentials: [])])
            }
            if items.allSatisfy(isCredentialLike) {
                guard let appID else {
                    throw invalid("this is az ad app credential list output, which does not say which app it belongs to; pass --app-id")
                }
                let id = try suppliedAppID(appID)
                let credentials = try passwordCredentials(items, of: id)
                return Self(source: .azCredentialList, applications: [Application(appID: id, displayName: nil, credentials: credentials)])
            }
            guard items.contains(where: isApplicationLike) else { throw unrecognised() }
            return Self(source: .azAppList, applications: try applications(items))
        }
        if let object = root as? [String: Any] {
            if let value = object["value"] {
                guard let items = value as? [Any], items.isEmpty || items.contains(where: isApplicationLike)
                else { throw unrecognised() }
                return Self(source: .graphApplications, applications: try applications(items))
            }
            if isApplicationLike(object) {
                return Self(source: .graphApplications, applications: try applications([object]))
            }
        }
        throw unrecognised()
    }

    // MARK: - Shapes

    /// An object that can only be an application: it has `appId` or `passwordCredentials`, and
    /// is not a service principal (`az ad sp list` has both, and a SAML app's password is its
    /// signing key's, not a client secret to hold as current).
    private static func isApplicationLike(_ item: Any) -> Bool {
        guard let object = item as? [String: Any], object["servicePrincipalType"] == nil else { return false }
        return object["appId"] != nil || object["passwordCredentials"] != nil
    }

    /// An object that can only be a password credential: it has `keyId` and is not an application.
    private static func isCredentialLike(_ item: Any) -> Bool {
        guard let object = item as? [String: Any] else { return false }
        return object["keyId"] != nil && !isApplicationLike(object)
    }

    private static func applications(_ items: [Any]) throws -> [Application] {
        var firstPosition: [String: Int] = [:]
        var result: [Application] = []
        for (offset, item) in items.enumerated() {
            let place = "application \(offset + 1)"
            guard let object = item as? [String: Any] else { throw invalid("\(place) is not a JSON object") }
            guard object["servicePrincipalType"] == nil else {
                throw invalid("\(place) is a service principal (az ad sp list), not an application; track enterprise apps with `secrets sync --service-principals`")
            }
            guard let rawAppID = present(object["appId"]) else { throw invalid("\(place) has no appId") }
            guard let appID = (rawAppID as? String).flatMap(normalizedGUID) else {
                throw invalid("\(place) has a malformed appId (expected a GUID)")
            }
            if let first = firstPosition[appID] {
                throw invalid("\(place) repeats appId \(appID) of application \(first)")
            }
            firstPosition[appID] = offset + 1
            let displayName = try string(object, "displayName", at: place)
            var credentials: [PasswordCredential] = []
            if let raw = present(object["passwordCredentials"]) {
                guard let items = raw as? [Any] else {
                    throw invalid("\(place) has a malformed passwordCredentials (expected an array)")
                }
                credentials = try passwordCredentials(items, of: appID)
            }
            result.append(Application(appID: appID, displayName: displayName, credentials: credentials))
        }
        return result
    }

    private static func passwordCredentials(_ items: [Any], of appID: String) throws -> [PasswordCredential] {
        var firstPosition: [String: Int] = [:]
        var result: [PasswordCredential] = []
        for (offset, item) in items.enumerated() {
            let place = "passwordCredential \(offset + 1) of app \(appID)"
            guard let object = item as? [String: Any] else { throw invalid("\(place) is not a JSON object") }
            // `secretText` is deliberately never looked at.
            guard let rawKeyID = present(object["keyId"]) else { throw invalid("\(place) has no keyId") }
            guard let keyID = (rawKeyID as? String).flatMap(normalizedGUID) else {
                throw invalid("\(place) has a malformed keyId (expected a GUID)")
            }
            if let first = firstPosition[keyID] {
                throw invalid("\(place) repeats keyId \(keyID) of passwordCredential \(first)")
            }
            firstPosition[keyID] = offset + 1
            result.append(PasswordCredential(
                keyID: keyID,
                displayName: try string(object, "displayName", at: place),
                hint: try string(object, "hint", at: place),
                start: try date(object, "startDateTime", at: place),
                end: try date(object, "endDateTime", at: place)
            ))
        }
        return result
    }

    // MARK: - Fields

    /// `value` unless it is absent or JSON `null`.
    private static func present(_ value: Any?) -> Any? {
        guard let value, !(value is NSNull) else { return nil }
        return value
    }

    /// An optional string field; any other type is an error.
    private static func string(_ object: [String: Any], _ key: String, at place: String) throws -> String? {
        guard let raw = present(object[key]) else { return nil }
        guard let text = raw as? String else { throw invalid("\(place) has a malformed \(key) (expected a string)") }
        return text
    }

    /// An optional ISO 8601 date-time field.
    private static func date(_ object: [String: Any], _ key: String, at place: String) throws -> Date? {
        guard let raw = present(object[key]) else { return nil }
        guard let date = (raw as? String).flatMap(RFC3339Timestamp.parse) else {
            throw invalid("\(place) has a malformed \(key) (expected an ISO 8601 date-time such as 2026-05-01T12:34:56Z)")
        }
        return date
    }

    /// The app ID given with `--app-id`, validated and lowercased.
    private static func suppliedAppID(_ text: String) throws -> String {
        guard let id = normalizedGUID(text) else { throw invalid("the --app-id value is not a GUID (8-4-4-4-12 hex digits)") }
        return id
    }

    /// `text` lowercased if it is a GUID in 8-4-4-4-12 hex form, otherwise `nil`.
    private static func normalizedGUID(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        for (index, byte) in bytes.enumerated() {
            let isHyphen = byte == UInt8(ascii: "-")
            let isHex = (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
            guard [8, 13, 18, 23].contains(index) ? isHyphen : isHex else { return nil }
        }
        return text.lowercased()
    }

    private static func invalid(_ reason: String) -> VaultError {
        .invalidDocument(reason: reason)
    }

    private static func unrecognised() -> VaultError {
        invalid("not the output of az ad app list, az ad app credential list or Graph /applications")
    }
}

import Foundation

/// Checks on values people type, each throwing ``VaultError/invalidValue(field:reason:)`` with the
/// flag's name so the command line can say which one was wrong.
public enum Validation {
    /// An app label: 1–128 printable characters, not starting with '-', no '/' so it reads well in paths.
    public static func label(_ value: String) throws {
        guard !value.isEmpty else { throw VaultError.invalidValue(field: "label", reason: "must not be empty") }
        guard !value.hasPrefix("-") else { throw VaultError.invalidValue(field: "label", reason: "must not start with '-'") }
        try printable(value, field: "label", maximumCount: 128)
    }

    /// A GUID written 8-4-4-4-12 in hexadecimal.
    public static func guid(_ value: String, field: String) throws {
        guard isGUID(value) else {
            throw VaultError.invalidValue(field: field, reason: "\"\(value.prefix(64))\" is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
        }
    }

    /// Whether `value` is 1 to `maximumDigits` ASCII digits: a record number on a server.
    public static func isNumber(_ value: String, maximumDigits: Int) -> Bool {
        !value.isEmpty && value.count <= maximumDigits && value.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// True when `value` is a GUID written 8-4-4-4-12 in ASCII hexadecimal (`Character.isHexDigit`
    /// alone accepts fullwidth digits too).
    public static func isGUID(_ value: String) -> Bool {
        let groups = value.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(isHexDigit) }
    }

    /// An ASCII hexadecimal digit.
    public static func isHexDigit(_ character: Character) -> Bool { character.isASCII && character.isHexDigit }

    /// A tenant: its GUID or a DNS domain such as `contoso.onmicrosoft.com`.
    public static func tenant(_ value: String) throws {
        if isGUID(value) { return }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.count >= 2 && value.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else {
            throw VaultError.invalidValue(field: "tenant", reason: "\"\(value.prefix(64))\" is neither a tenant GUID nor a domain such as contoso.onmicrosoft.com")
        }
    }

    /// An absolute `https://` URL with a host.
    public static func httpsURL(_ value: String, field: String) throws {
        guard let url = URL(string: value), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty else {
            throw VaultError.invalidValue(field: field, reason: "\"\(value.prefix(128))\" is not an https:// URL")
        }
    }

    /// The URL of a service: `https://` with a host, or plain `http://` only on a loopback address
    /// (a local emulator), never across a network.
    public static func serviceURL(_ value: String, field: String) throws {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw VaultError.invalidValue(field: field, reason: "\"\(value.prefix(128))\" is not an https:// URL")
        }
        if scheme == "https" { return }
        guard scheme == "http" else {
            throw VaultError.invalidValue(field: field, reason: "\"\(value.prefix(128))\" is not an https:// URL")
        }
        guard isLoopback(host: host) else {
            throw VaultError.invalidValue(field: field, reason: "plain http:// is accepted only for loopback addresses (127.0.0.1, ::1, localhost); use https://")
        }
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`.
    public static func isLoopback(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Text without control characters (newlines only where allowed), at most `maximumCount` characters.
    public static func printable(_ value: String, field: String, maximumCount: Int, allowNewlines: Bool = false) throws {
        guard value.count <= maximumCount else {
            throw VaultError.invalidValue(field: field, reason: "longer than \(maximumCount) characters")
        }
        let allowed: (Unicode.Scalar) -> Bool = { scalar in
            if allowNewlines, scalar == "\n" || scalar == "\t" { return true }
            return !(scalar.properties.generalCategory == .control)
        }
        guard value.unicodeScalars.allSatisfy(allowed) else {
            throw VaultError.invalidValue(field: field, reason: "contains control characters")
        }
    }

    /// The longest ``App/secretDescription``. Graph documents no limit for a password's display
    /// name; 64 keeps the whole name (`secrets:` and a 36-character rotation id before it) within
    /// 110 characters, which every portal view shows.
    public static let secretDescriptionLimit = 64

    /// Throws unless `value` is 1–64 characters of text with no control character and no
    /// leading or trailing blank: it goes into the issuer's display name, which the Entra admin
    /// center, `az` and Graph show as is.
    public static func secretDescription(_ value: String) throws {
        let field = "secret-description"
        guard !value.isEmpty else { throw VaultError.invalidValue(field: field, reason: "must not be empty (give none for the bare marker)") }
        guard value.trimmingCharacters(in: .whitespaces) == value else {
            throw VaultError.invalidValue(field: field, reason: "must not start or end with a blank")
        }
        try printable(value, field: field, maximumCount: secretDescriptionLimit)
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .format || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator }) else {
            throw VaultError.invalidValue(field: field, reason: "contains invisible formatting characters (bidi overrides, zero-width characters)")
        }
    }
}

import ClientSecrets
import Foundation

/// An error answer from the token endpoint or from Graph, reduced to what may be shown: the
/// status, the service's error code and the first line of its message. Never a request body.
struct ServiceError: Sendable, Equatable {
    /// The HTTP status.
    var status: Int
    /// Graph's `error.code` (`Authorization_RequestDenied`), or the OAuth `error` (`invalid_client`).
    var code: String?
    /// The AADSTS number of a token endpoint error (7000215).
    var aadsts: Int?
    /// Graph's `error.details[].code` values.
    var detailCodes: [String]
    /// The message: Graph's `error.message`, or the first line of `error_description`.
    var message: String?

    /// Parses an error body in either shape; a body in neither leaves only the status.
    init(status: Int, body: Data) {
        self.status = status
        detailCodes = []
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return }
        if let graph = object["error"] as? [String: Any] {
            code = (graph["code"] as? String).map(Self.token)
            message = (graph["message"] as? String).map(Self.firstLine)
            detailCodes = (graph["details"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }.prefix(20).map(Self.token)
        } else if let oauth = object["error"] as? String {
            code = Self.token(oauth)
            let description = (object["error_description"] as? String).map(Self.firstLine)
            message = description
            aadsts = (object["error_codes"] as? [Int])?.first ?? description.flatMap(Self.aadstsNumber)
        }
    }

    /// `HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.`
    var summary: String {
        var text = "HTTP \(status)"
        if let code { text += " \(code)" }
        if let message, !message.isEmpty { text += ": \(message)" }
        return text
    }

    /// `AADSTS7000215` when the token endpoint gave a number.
    var aadstsCode: String? {
        aadsts.map { "AADSTS\($0)" }
    }

    /// Why Graph refused to add a password credential, when its 400 says so.
    enum CredentialRefusal: Sendable, Equatable {
        /// An app management policy (the tenant's default or one assigned to the app) forbids
        /// password credentials: `CredentialTypeNotAllowedAsPerAppPolicy`.
        case passwordsNotAllowed
        /// An app management policy caps the lifetime below the one asked for:
        /// `CredentialInvalidLifetimeAsPerAppPolicy` (with detail `InvalidKeyEndDate`).
        case lifetimeOverPolicy
        /// A bare `InvalidKeyEndDate`: the end date is not after the start. No policy is involved.
        case invalidEndDate
    }

    /// What a 400 says about the credential asked for; `nil` for any other answer.
    ///
    /// The policy codes are checked first: Graph puts `InvalidKeyEndDate` among the details of a
    /// lifetime policy's refusal too, and only without a policy code does it mean a bad date.
    var credentialRefusal: CredentialRefusal? {
        guard status == 400 else { return nil }
        let codes = [code ?? ""] + detailCodes
        if codes.contains(where: { $0.caseInsensitiveCompare("CredentialTypeNotAllowedAsPerAppPolicy") == .orderedSame }) {
            return .passwordsNotAllowed
        }
        if codes.contains(where: { $0.localizedCaseInsensitiveContains("LifetimeAsPerAppPolicy") })
            || message?.localizedCaseInsensitiveContains("lifetime exceeds") == true {
            return .lifetimeOverPolicy
        }
        if codes.contains(where: { $0.caseInsensitiveCompare("InvalidKeyEndDate") == .orderedSame }) {
            return .invalidEndDate
        }
        return nil
    }

    /// The text up to the first line break, trimmed (AADSTS descriptions carry trace ids after it),
    /// with every other control character escaped: a hostile server's message could otherwise
    /// carry an escape sequence (a clipboard write, a title change) into a terminal or the journal.
    private static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        return TerminalText.neutralised(String(line.trimmingCharacters(in: .whitespaces).prefix(500)))
    }

    /// An error code as it may be shown: at most 100 characters, control characters escaped.
    private static func token(_ text: String) -> String {
        TerminalText.neutralised(String(text.prefix(100)))
    }

    /// The number in `AADSTS7000215: …`.
    private static func aadstsNumber(_ description: String) -> Int? {
        guard let range = description.range(of: "AADSTS") else { return nil }
        return Int(description[range.upperBound...].prefix { $0.isNumber })
    }
}

import ClientSecrets
import Foundation
import Rotation

/// Reads Graph's credential sign-in report
/// (`GET /beta/reports/appCredentialSignInActivities?$filter=appId eq '{appId}'`):
/// `{"value": [{"keyId", "appId", "resourceId", "signInActivity": {"lastSignInDateTime"}, …}],
/// "@odata.nextLink"?}`.
///
/// The answer comes from a server at the end of a URL, like every other (see
/// ``Rotation/IssuedSecretCheck``): an entry of the app whose key id is not a GUID, or whose
/// last sign-in is not a date, is before 2000 or later than tomorrow, makes the whole answer
/// refused, since a report that cannot be trusted in part says nothing about the rest. Entries of
/// other apps are ignored (the filter is the server's to apply). Nothing of the answer is quoted
/// in a message but its counts.
public enum CredentialSignInActivities {
    /// One page of the report: sign-ins by lowercased key id (the latest when a key is listed
    /// more than once, once per resource), and the next page's URL if there is one.
    public struct Page: Sendable, Hashable {
        /// The last sign-in of each key listed with one.
        public var signIns: [String: CredentialSignIn]
        /// `@odata.nextLink`, when the report continues.
        public var nextLink: String?
    }

    /// Why an answer was refused.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// What was wrong, without quoting the answer.
        public var description: String
    }

    /// The earliest sign-in believed: the report does not go back further than a few years.
    static let earliest = Date(timeIntervalSince1970: 946_684_800) // 2000-01-01
    /// How far in the future a sign-in may be (clock skew); later ones would postpone for ever.
    static let skew: TimeInterval = 86_400
    /// The longest resource id kept for a message.
    static let maximumResource = 128

    private struct Answer: Decodable {
        var value: [Entry]
        var nextLink: String?

        enum CodingKeys: String, CodingKey {
            case value
            case nextLink = "@odata.nextLink"
        }
    }

    private struct Entry: Decodable {
        var keyId: String?
        var appId: String?
        var resourceId: String?
        var signInActivity: Activity?
    }

    private struct Activity: Decodable {
        var lastSignInDateTime: String?
    }

    /// Parses one page of the report for the app `appID`, checked against `now`.
    public static func parse(_ body: Data, appID: String, now: Date) throws(Refusal) -> Page {
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: body)
        } catch {
            throw Refusal(description: "the answer is not a list of credential sign-in activities")
        }
        var signIns: [String: CredentialSignIn] = [:]
        for entry in answer.value where entry.appId?.lowercased() == appID.lowercased() {
            guard let keyID = entry.keyId?.lowercased(), Validation.isGUID(keyID) else {
                throw Refusal(description: "an entry's keyId is not a GUID")
            }
            guard let text = entry.signInActivity?.lastSignInDateTime else { continue }
            guard let date = parseDate(text) else {
                throw Refusal(description: "the last sign-in of key \(keyID) is not a date")
            }
            guard date >= earliest, date <= now.addingTimeInterval(skew) else {
                throw Refusal(description: "the last sign-in of key \(keyID) is out of range (before 2000 or after tomorrow)")
            }
            let resource = entry.resourceId.map { TerminalText.neutralised(String($0.prefix(maximumResource))) }
            if let known = signIns[keyID], known.at >= date { continue }
            signIns[keyID] = CredentialSignIn(at: date, resource: resource)
        }
        return Page(signIns: signIns, nextLink: answer.nextLink)
    }

    /// A Graph timestamp; also accepts an offset written with a one-digit hour (`-8:00`), as
    /// Graph's own documentation of this report shows.
    static func parseDate(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        if let date = RFC3339Timestamp.parse(text) { return date }
        let scalars = Array(text)
        guard scalars.count >= 5, scalars[scalars.count - 3] == ":", scalars[scalars.count - 5] == "+" || scalars[scalars.count - 5] == "-" else {
            return nil
        }
        var padded = scalars
        padded.insert("0", at: scalars.count - 4)
        return RFC3339Timestamp.parse(String(padded))
    }
}

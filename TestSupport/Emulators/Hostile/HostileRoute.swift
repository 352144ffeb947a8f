import Foundation

/// A request a ``HostileServer`` answers with a fixed, well-formed answer instead of its mode, so
/// that one endpoint of an API can be hostile while the calls before it succeed (a Jamf Pro whose
/// token endpoint works and whose inventory read floods).
public struct HostileRoute: Sendable {
    /// The request's method (`GET`, `POST`).
    public var method: String
    /// The request's path, without the query.
    public var path: String
    /// The status answered.
    public var status: Int
    /// The JSON body answered, sent as it is (it may hold any text a test chooses).
    public var body: String

    /// Creates a route answering `method path` with `status` and `body`.
    public init(_ method: String, _ path: String, status: Int = 200, body: String) {
        self.method = method
        self.path = path
        self.status = status
        self.body = body
    }

    /// Whether this route answers the request `requestLine` (`METHOD /path?query`).
    func matches(_ requestLine: String) -> Bool {
        let words = requestLine.split(separator: " ", maxSplits: 1)
        guard words.count == 2, words[0] == method else { return false }
        return words[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == path
    }

    /// What the Jamf Pro Intune consumer's verify reads, answered as a healthy Jamf Pro would: a
    /// token, the feature toggle, canary `computer`'s inventory sent at `reportDate`, and its
    /// compliance `state` from `vendor`. A test replaces one of them with a hostile answer, or
    /// drops it to leave it to the server's mode.
    public static func jamfProVerify(
        computer: String, reportDate: String, state: String = "COMPLIANT", vendor: String = "Microsoft Intune"
    ) -> [HostileRoute] {
        [
            HostileRoute("POST", "/api/oauth/token", body: #"{"access_token":"hostile-jamf-token","token_type":"Bearer","expires_in":1199}"#),
            HostileRoute("GET", "/api/v1/conditional-access/device-compliance/feature-toggle", body: #"{"sharedDeviceFeatureEnabled":false}"#),
            HostileRoute("GET", inventoryPath(computer), body: inventory(computer: computer, reportDate: reportDate)),
            HostileRoute("GET", compliancePath(computer), body: compliance(computer: computer, state: state, vendor: vendor)),
        ]
    }

    /// `GET` path of a computer's inventory in the Jamf Pro API.
    public static func inventoryPath(_ computer: String) -> String { "/api/v1/computers-inventory/\(computer)" }

    /// `GET` path of a computer's compliance information in the Jamf Pro API.
    public static func compliancePath(_ computer: String) -> String {
        "/api/v1/conditional-access/device-compliance-information/computer/\(computer)"
    }

    /// An inventory answer (`section=GENERAL`) whose `reportDate` is `reportDate`, JSON-escaped.
    public static func inventory(computer: String, reportDate: String) -> String {
        #"{"id":"\#(computer)","general":{"name":"canary","platform":"Mac","reportDate":\#(jsonString(reportDate)),"lastContactTime":null}}"#
    }

    /// A compliance answer with one entry in scope, `state` and `vendor` JSON-escaped.
    public static func compliance(computer: String, state: String, vendor: String) -> String {
        #"[{"deviceId":"\#(computer)","applicable":true,"complianceState":\#(jsonString(state)),"complianceVendor":\#(jsonString(vendor)),"#
            + #""complianceVendorDeviceInformation":{"deviceIds":["\#(UUID().uuidString.lowercased())"]}}]"#
    }

    /// `text` as a JSON string literal: whatever a server sends arrives intact, control characters included.
    static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

/// One entry of `GET /api/v1/conditional-access/device-compliance-information/computer/{id}`:
/// what Jamf Pro knows of a computer's compliance as reported by the compliance vendor (Intune).
public struct ComplianceInformation: Sendable, Hashable, Decodable {
    /// The Jamf Pro computer id.
    public var deviceID: String
    /// Whether the computer is in scope for compliance.
    public var applicable: Bool
    /// `COMPLIANT`, `NON_COMPLIANT` or `UNKNOWN` (nothing reported).
    public var complianceState: String
    /// Who reported it, if anyone.
    public var complianceVendor: String?
    /// The vendor's ids for the computer.
    public var vendorDeviceIDs: [String]

    /// The states Jamf Pro documents for a reported computer. Anything else (`UNKNOWN`, an empty
    /// state, `ERROR_NOT_REPORTED` or whatever a server invents) proves nothing.
    public static let reportedStates: Set<String> = ["COMPLIANT", "NON_COMPLIANT"]

    /// True when the vendor has reported a documented state for a computer in scope: what proves
    /// the integration exchanges data.
    public var isReported: Bool { applicable && Self.reportedStates.contains(complianceState) }

    /// Creates an entry.
    public init(deviceID: String, applicable: Bool, complianceState: String, complianceVendor: String?, vendorDeviceIDs: [String]) {
        self.deviceID = deviceID
        self.applicable = applicable
        self.complianceState = complianceState
        self.complianceVendor = complianceVendor
        self.vendorDeviceIDs = vendorDeviceIDs
    }

    private enum CodingKeys: String, CodingKey {
        case deviceId, applicable, complianceState, complianceVendor, complianceVendorDeviceInformation
    }

    private struct VendorInformation: Decodable {
        var deviceIds: [String]?
    }

    /// Decodes Jamf Pro's shape; `applicable` defaults to true and the state to `UNKNOWN`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        deviceID = try container.decodeIfPresent(String.self, forKey: .deviceId) ?? ""
        applicable = try container.decodeIfPresent(Bool.self, forKey: .applicable) ?? true
        complianceState = try container.decodeIfPresent(String.self, forKey: .complianceState) ?? "UNKNOWN"
        complianceVendor = try container.decodeIfPresent(String.self, forKey: .complianceVendor)
        vendorDeviceIDs = try container.decodeIfPresent(VendorInformation.self, forKey: .complianceVendorDeviceInformation)?.deviceIds ?? []
    }
}

/// `GET /api/v1/conditional-access/device-compliance/feature-toggle`: read to prove that the
/// Jamf Pro API and the client's Conditional Access read privilege work.
public struct DeviceComplianceFeatureToggle: Sendable, Hashable, Decodable {
    /// Whether the shared-device compliance feature is on.
    public var sharedDeviceFeatureEnabled: Bool

    /// Creates the toggle.
    public init(sharedDeviceFeatureEnabled: Bool) {
        self.sharedDeviceFeatureEnabled = sharedDeviceFeatureEnabled
    }
}

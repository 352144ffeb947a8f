/// A setting of a whole run is unusable (an environment variable out of range, an endpoint
/// override that is not https): a usage problem, found before any app is touched.
public struct RotationSettingError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and how to fix it, in one line with no secret in it.
    public let description: String

    /// Creates the error with its one-line message.
    public init(_ description: String) { self.description = description }
}

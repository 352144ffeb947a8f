/// Something that uses an app's secret and must be given the new one after a rotation.
public struct Consumer: Sendable, Hashable, Codable {
    /// What kind of consumer this is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Jamf Pro's macOS Intune integration; `target` is the Jamf Pro URL.
        case jamfProIntune = "jamf-pro-intune"
        /// A command that receives the new secret on stdin; `target` is the command.
        case command
    }

    /// What kind of consumer this is.
    public var kind: Kind
    /// The Jamf Pro URL or the command, depending on ``kind``.
    public var target: String

    /// Creates a consumer.
    public init(kind: Kind, target: String) {
        self.kind = kind
        self.target = target
    }
}

extension Consumer: CustomStringConvertible {
    /// `kind=target`, the form the command line accepts.
    public var description: String { "\(kind.rawValue)=\(target)" }
}

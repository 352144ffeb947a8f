/// The Microsoft cloud an app registration lives in; it decides which sign-in and Graph hosts
/// are used, and the "sovereign cloud" Jamf Pro's Intune integration is told about.
public enum Cloud: String, Sendable, Hashable, Codable, CaseIterable {
    /// The worldwide cloud (login.microsoftonline.com).
    case global
    /// Azure Government (GCC High).
    case usgov
    /// Azure Government DoD.
    case usgovDoD = "usgov-dod"
    /// Azure operated by 21Vianet in China.
    case china
}

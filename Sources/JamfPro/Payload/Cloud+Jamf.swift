import ClientSecrets

extension Cloud {
    /// The entry to pick in the Jamf Pro form's "Sovereign Cloud" menu (the location of the
    /// Microsoft cloud): `Global`, `US Government` or `China`.
    ///
    /// Jamf Pro's menu names locations, not Azure Government's two levels, so both GCC High
    /// (``usgov``) and DoD (``usgovDoD``) map to `US Government`; the payload's `app.cloud` keeps the
    /// exact cloud for tools that need it.
    public var jamfSovereignCloud: String {
        switch self {
        case .global: return "Global"
        case .usgov, .usgovDoD: return "US Government"
        case .china: return "China"
        }
    }
}

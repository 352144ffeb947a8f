import Foundation

/// Where the vault and the identity file live when no flag or variable says otherwise, following
/// the XDG base directory conventions.
public enum VaultLocation {
    /// `$SECRETS_VAULT`, else `$XDG_DATA_HOME/secrets/vault.sqlite`, else `~/.local/share/secrets/vault.sqlite`.
    public static func defaultVaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["SECRETS_VAULT"], !path.isEmpty { return path }
        return base(environment["XDG_DATA_HOME"], fallback: ".local/share", environment: environment) + "/secrets/vault.sqlite"
    }

    /// `$SECRETS_IDENTITY`, else `$XDG_CONFIG_HOME/secrets/identity.txt`, else `~/.config/secrets/identity.txt`.
    public static func defaultIdentityPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["SECRETS_IDENTITY"], !path.isEmpty { return path }
        return base(environment["XDG_CONFIG_HOME"], fallback: ".config", environment: environment) + "/secrets/identity.txt"
    }

    /// The directory on this host for what is kept beside a vault (the Jamf Pro payloads'
    /// redacted copies): the vault file's own directory, or for a vault on a PostgreSQL server,
    /// `$XDG_DATA_HOME/secrets`, else `~/.local/share/secrets`.
    public static func localDirectory(forVault location: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard VaultBackend.isServer(location) else { return (location as NSString).deletingLastPathComponent }
        return base(environment["XDG_DATA_HOME"], fallback: ".local/share", environment: environment) + "/secrets"
    }

    private static func base(_ xdg: String?, fallback: String, environment: [String: String]) -> String {
        // The XDG specification says relative values are to be ignored.
        if let xdg, xdg.hasPrefix("/") { return xdg }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/" + fallback
    }
}

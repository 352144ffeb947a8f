import Age
import ClientSecrets
import CryptoPrimitives
import Foundation

/// Prints the credentials of a vault that expire within N days (default 30).
///
///     expiry-report [days]
///
/// The vault and identity come from SECRETS_VAULT and SECRETS_IDENTITY (or the XDG defaults);
/// a passphrase-protected identity reads its passphrase from SECRETS_PASSPHRASE_FILE.
@main
enum ExpiryReport {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let days = Int(arguments.first ?? "30"), days >= 0 else {
            FileHandle.standardError.write(Data("usage: expiry-report [days]\n".utf8))
            exit(64)
        }
        do {
            let identities = try VaultIdentity.load(path: VaultLocation.defaultIdentityPath()) {
                guard let file = ProcessInfo.processInfo.environment["SECRETS_PASSPHRASE_FILE"] else {
                    throw VaultError.cannotUnlock(reason: "the identity is passphrase-protected; set SECRETS_PASSPHRASE_FILE")
                }
                let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
                return SecureBytes(copying: Array(text.utf8))
            }
            let vault = try Vault.open(at: VaultLocation.defaultVaultPath(), identities: identities)
            let expiring = try vault.expiring(within: TimeInterval(days) * 86_400)
            print("\(expiring.count) credential(s) expire within \(days) days")
            for item in expiring {
                let expires = item.credential.expires.map(DateParser.format) ?? "never"
                print("\(expires)  \(item.app.label)  \(item.app.appID)  key \(item.credential.keyID)  \(item.credential.state.rawValue)")
            }
        } catch {
            FileHandle.standardError.write(Data("expiry-report: \(error)\n".utf8))
            exit(1)
        }
    }
}

import ArgumentParser
import ClientSecrets
import Foundation

/// `secrets fingerprint`: the vault's authority-key fingerprint, and the pin kept for it.
struct FingerprintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Show the vault's fingerprint and this identity's pin for it, or accept a new one.",
        discussion: """
            The fingerprint names the vault's authority key, which only admins hold. Each identity \
            pins it in known_vaults beside the identity file ($SECRETS_KNOWN_VAULTS overrides) on \
            first use, or checks it against $SECRETS_VAULT_FINGERPRINT, and every later command \
            refuses a vault whose key is neither the pinned one nor endorsed by it (exit 65). \
            When an admin tells you, over a channel you trust, that the vault was legitimately \
            re-made, --accept FINGERPRINT replaces the pin; it is refused unless the vault has \
            exactly that fingerprint.
            """)

    @OptionGroup var options: VaultOptions
    @Option(name: .long, help: ArgumentHelp("Pin this fingerprint (SHA256:…) if it is the vault's.", valueName: "fingerprint"))
    var accept: String?

    func run() throws {
        try reportingErrors {
            // Opened without the pin, so a mismatch can be shown and, when confirmed, accepted;
            // an admin's keys are still checked against the vault's authority key, and the
            // digest's signature against that key.
            let vault = try options.open(trust: .unpinned)
            let current = try vault.fingerprint()
            let known = options.knownVaults
            let pinned = try known.fingerprint(for: vault.vaultID)
            if let accept {
                guard accept == current else {
                    throw VaultError.untrusted(reason: "the vault's fingerprint is \(current), not \(accept); nothing was pinned")
                }
                try known.pin(vaultID: vault.vaultID, fingerprint: current, vaultPath: vault.path)
                Printer.line("Pinned vault \(vault.vaultID) to \(current) in \(known.path)")
                return
            }
            Printer.line("Vault:       \(vault.vaultID)")
            Printer.line("Fingerprint: \(current)")
            let previous = try known.vault(at: vault.path)
            switch pinned {
            case nil:
                if let previous, previous.vaultID != vault.vaultID {
                    Printer.line("Pinned:      nothing for this vault; \(vault.path) held vault \(previous.vaultID) (\(previous.pin.fingerprint)) when last opened: REPLACED")
                    Printer.line("Other commands refuse it; accept it only if an admin confirms this fingerprint out of band")
                } else {
                    Printer.line("Pinned:      nothing yet (the next command pins it)")
                }
            case current?: Printer.line("Pinned:      the same, in \(known.path)")
            case let other?:
                Printer.line("Pinned:      \(other), in \(known.path): DIFFERENT")
                Printer.line("Other commands follow endorsed rekeys from the pin; if they refuse this vault, ask an admin")
            }
        }
    }
}

/// What an audit entry records: the closed list of things the vault logs, stored as their text
/// (`app.add`), which is part of each entry's chain hash.
///
/// A struct rather than an enum so that an entry written by a newer `secrets` is still read
/// (its action shows as written) and embedders' switches do not break when one is added.
public struct AuditAction: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stored text, such as `secret.add`.
    public let rawValue: String

    /// An action by its stored text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stored text.
    public var description: String { rawValue }

    // The vault.

    /// A vault was created.
    public static let vaultInit = AuditAction(rawValue: "vault.init")
    /// The data keys were replaced and every row re-encrypted.
    public static let vaultRekey = AuditAction(rawValue: "vault.rekey")
    /// The vault was copied, row for row, to another location (another backend); written on
    /// both sides.
    public static let vaultCopy = AuditAction(rawValue: "vault.copy")
    /// The vault's format was raised (a newer record or table an older `secrets` cannot read).
    public static let vaultMigrate = AuditAction(rawValue: "vault.migrate")
    /// A format-1 vault was upgraded (rows authenticated, digest signed).
    public static let vaultUpgrade = AuditAction(rawValue: "vault.upgrade")
    /// An export document was imported.
    public static let vaultImport = AuditAction(rawValue: "vault.import")
    /// An `az ad app list` document was imported.
    public static let vaultImportAzure = AuditAction(rawValue: "vault.import-azure")
    /// A recipient (admin or reader) was added.
    public static let recipientAdd = AuditAction(rawValue: "recipient.add")
    /// A recipient was removed.
    public static let recipientRemove = AuditAction(rawValue: "recipient.remove")

    // Apps.

    /// An app was added.
    public static let appAdd = AuditAction(rawValue: "app.add")
    /// An app's settings changed; the detail names the fields.
    public static let appEdit = AuditAction(rawValue: "app.edit")
    /// An app and its credentials were removed.
    public static let appRemove = AuditAction(rawValue: "app.remove")

    // Credentials.

    /// A secret was added with its value.
    public static let secretAdd = AuditAction(rawValue: "secret.add")
    /// A secret was registered without its value (monitoring only).
    public static let secretRegister = AuditAction(rawValue: "secret.register")
    /// The current secret became previous.
    public static let secretDemote = AuditAction(rawValue: "secret.demote")
    /// A secret was retired (removed at the issuer, or its removal confirmed).
    public static let secretRetire = AuditAction(rawValue: "secret.retire")
    /// An overlap was ended early (`rotate --retire-now`).
    public static let secretRetireNow = AuditAction(rawValue: "secret.retire-now")
    /// The sign-in report could not say whether a previous secret is still used.
    public static let secretUsageUnknown = AuditAction(rawValue: "secret.usage-unknown")
    /// A previous secret still signing in was kept past its overlap.
    public static let secretRetireInUse = AuditAction(rawValue: "secret.retire-in-use")
    /// A previous secret's retirement was postponed after a late sign-in.
    public static let secretRetirePostponed = AuditAction(rawValue: "secret.retire-postponed")

    /// A certificate was added: made by `secrets cert new` or imported, with its private key
    /// when the vault holds one.
    public static let certificateAdd = AuditAction(rawValue: "certificate.add")
    /// A pending certificate became current (`secrets cert activate`), after its sign-in was proven.
    public static let certificateActivate = AuditAction(rawValue: "certificate.activate")
    /// A certificate's private key was written out of the vault (`secrets cert export`).
    public static let certificateExport = AuditAction(rawValue: "certificate.export")

    // Rotations.

    /// A new secret became current.
    public static let rotationPromote = AuditAction(rawValue: "rotation.promote")
    /// The previous secret became current again.
    public static let rotationRollback = AuditAction(rawValue: "rotation.rollback")
    /// An issuer's answer was refused (`IssuedSecretCheck`).
    public static let rotationReject = AuditAction(rawValue: "rotation.reject")

    // The tenant.

    /// A round of the tenant's changes was applied (`secrets sync`); the detail counts what changed.
    public static let tenantSync = AuditAction(rawValue: "tenant.sync")
    /// An application found in the tenant was registered, monitored only, with its credentials' metadata.
    public static let tenantAppAdd = AuditAction(rawValue: "tenant.app-add")
    /// An application the vault monitors was removed from the tenant; its credentials were retired.
    public static let tenantAppRemoved = AuditAction(rawValue: "tenant.app-removed")
    /// A credential of a monitored app appeared in the tenant.
    public static let tenantCredentialAdd = AuditAction(rawValue: "tenant.credential-add")
    /// A credential of a monitored app changed in the tenant (its end date or display name).
    public static let tenantCredentialChange = AuditAction(rawValue: "tenant.credential-change")
    /// A credential of a monitored app was deleted in the tenant; the vault keeps it as retired.
    public static let tenantCredentialRemoved = AuditAction(rawValue: "tenant.credential-removed")
}

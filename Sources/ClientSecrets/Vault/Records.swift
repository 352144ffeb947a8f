import Foundation

/// An app as stored in the vault.
public struct AppRecord: Sendable, Hashable {
    /// The row's id.
    public let id: RecordID
    /// The app.
    public var app: App
    /// When the app was added.
    public let createdAt: Date
    /// When the app was last changed.
    public let updatedAt: Date
}

/// A credential as stored in the vault, without its value.
public struct CredentialRecord: Sendable, Hashable {
    /// The row's id.
    public let id: RecordID
    /// The id of the app's row.
    public let appRecordID: RecordID
    /// The credential's metadata.
    public var credential: Credential
    /// Whether the vault holds the value (credentials imported from Azure metadata do not).
    public let hasValue: Bool
}

/// One app with its credentials, as `secrets list` and `app show` present it.
public struct AppOverview: Sendable, Hashable {
    /// The app.
    public let record: AppRecord
    /// Its credentials, newest first.
    public let credentials: [CredentialRecord]

    /// The credential consumers use, if there is one.
    public var current: Credential? { credentials.first { $0.credential.state == .current }?.credential }
}

/// A credential that is expired or expires within the window asked for.
public struct ExpiringCredential: Sendable, Hashable {
    /// The app it belongs to.
    public let app: App
    /// The credential.
    public let credential: Credential
    /// How far the vault looks after it.
    public let custody: CredentialCustody

    /// An entry of the listing.
    public init(app: App, credential: Credential, custody: CredentialCustody) {
        self.app = app
        self.credential = credential
        self.custody = custody
    }
}

/// A recipient in the vault's keyring.
public struct KeyringRecipient: Sendable, Hashable {
    /// The age public key (`age1…`).
    public let recipient: String
    /// What it may do.
    public let role: Role
    /// A name people gave it, if any.
    public let name: String?
    /// When it was added.
    public let added: Date
}

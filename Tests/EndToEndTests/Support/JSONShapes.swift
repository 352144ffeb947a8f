import Foundation

// The `--json` shapes the README documents, decoded strictly enough that a renamed or retyped
// field fails the test.

/// A credential in `list --json` (`current`) and `app show --json` (`credentials`).
struct CredentialJSON: Decodable {
    let keyId: String
    let hint: String
    let state: String
    let created: Date
    let validFrom: Date
    let expires: Date?
    let daysLeft: Int?
    let retireAfter: Date?
    let displayName: String?
    let valueStored: Bool?
    let type: String
    let thumbprint: String?
    let holder: String
}

/// A row of `list --json`.
struct ListRow: Decodable {
    let label: String
    let appId: String
    let tenant: String
    let cloud: String
    let status: String
    let current: CredentialJSON?
    let custody: String
    let owners: [String]
}

/// `expiring --json`.
struct ExpiringReport: Decodable {
    struct Item: Decodable {
        let label: String
        let appId: String
        let tenant: String
        let cloud: String
        let keyId: String
        let hint: String
        let state: String
        let expires: Date
        let daysLeft: Int
        let expired: Bool
        let type: String
        let custody: String
        let holder: String
        let owners: [String]
    }

    let checkedAt: Date
    let days: Int
    let status: String
    let credentials: [Item]
}

/// `app list --json` rows and `app show --json` (which adds `credentials`).
struct AppJSON: Decodable {
    struct Consumer: Decodable {
        let kind: String
        let target: String
    }

    struct Policy: Decodable {
        let lifetimeSeconds: Int
        let rotateBeforeSeconds: Int
        let overlapSeconds: Int
    }

    let label: String
    let appId: String
    let tenant: String
    let cloud: String
    let issuer: String
    let consumers: [Consumer]
    let policy: Policy
    let tags: [String]
    let notes: String
    let credentials: [CredentialJSON]?
}

/// A row of `recipients list --json`.
struct RecipientJSON: Decodable {
    let recipient: String
    let role: String
    let name: String?
    let added: Date
}

/// A row of `log --json`.
struct LogEntryJSON: Decodable {
    let sequence: Int
    let at: Date
    let actor: String
    let action: String
    let outcome: String
    let app: String?
    let appID: String?
    let keyID: String?
    let detail: String?
}

/// `verify --json`.
struct VerifyJSON: Decodable {
    let checked: [String: Int]
    let secretValuesChecked: Int
    let secretValuesSkipped: Bool
    let problems: [String]
}

/// `import --json`.
struct ImportJSON: Decodable {
    let appsAdded: Int
    let credentialsAdded: Int
    let unchanged: Int
    let conflictsSkipped: [String]
}

/// The plaintext of `secrets export`, as `age -d` recovers it.
struct ExportJSON: Decodable {
    struct App: Decodable {
        let label: String
        let appId: String
        let tenant: String
        let cloud: String
        let issuer: String
        let lifetimeSeconds: Int
        let rotateBeforeSeconds: Int
        let overlapSeconds: Int
        let tags: [String]
        let notes: String
        let credentials: [Credential]
    }

    struct Credential: Decodable {
        let keyId: String
        let hint: String
        let created: Date
        let validFrom: Date
        let expires: Date?
        let state: String
        let displayName: String?
        let retireAfter: Date?
        let value: String?
    }

    let format: String
    let version: Int
    let exportedAt: Date
    let vaultID: String
    let apps: [App]
}

import ClientSecrets
import Foundation

/// The JSON shape of an app (`app list --json`, `app show --json`).
struct AppJSON: Encodable {
    let label: String
    let appId: String
    let tenant: String
    let cloud: String
    let issuer: String
    let rotator: String?
    let jamfProIssuer: JamfProIssuerSettings?
    let issuerSettings: [String: String]?
    let consumers: [Consumer]
    let policy: PolicyJSON
    let tags: [String]
    let notes: String
    let secretDescription: String?
    /// Owners as `sync --owners` last read them; absent when never read.
    let owners: [AppOwner]?
    let credentials: [CredentialJSON]?

    struct PolicyJSON: Encodable {
        let lifetimeSeconds: Int
        let rotateBeforeSeconds: Int
        let overlapSeconds: Int
    }

    init(_ app: App) {
        label = app.label
        appId = app.appID
        tenant = app.tenant
        cloud = app.cloud.rawValue
        issuer = app.issuer.rawValue
        rotator = app.rotator
        jamfProIssuer = app.jamfProIssuer
        issuerSettings = app.otherIssuerSettings.isEmpty ? nil : app.otherIssuerSettings
        consumers = app.consumers
        policy = PolicyJSON(
            lifetimeSeconds: Int(app.policy.lifetime), rotateBeforeSeconds: Int(app.policy.rotateBefore), overlapSeconds: Int(app.policy.overlap))
        tags = app.tags
        notes = app.notes
        secretDescription = app.secretDescription
        owners = app.owners
        credentials = nil
    }

    init(_ overview: AppOverview, now: Date) {
        let base = AppJSON(overview.record.app)
        label = base.label
        appId = base.appId
        tenant = base.tenant
        cloud = base.cloud
        issuer = base.issuer
        rotator = base.rotator
        jamfProIssuer = base.jamfProIssuer
        issuerSettings = base.issuerSettings
        consumers = base.consumers
        policy = base.policy
        tags = base.tags
        notes = base.notes
        secretDescription = base.secretDescription
        owners = base.owners
        credentials = overview.credentials.map { CredentialJSON($0.credential, now: now, valueStored: $0.hasValue) }
    }

    static func policyText(_ policy: RotationPolicy) -> String {
        "lifetime \(DurationParser.format(policy.lifetime)), rotate \(DurationParser.format(policy.rotateBefore)) before, overlap \(DurationParser.format(policy.overlap))"
    }
}

/// The JSON shape of a credential (never its value).
struct CredentialJSON: Encodable {
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

    init(_ credential: Credential, now: Date, valueStored: Bool?) {
        keyId = credential.keyID
        hint = credential.hint
        state = credential.state.rawValue
        created = credential.created
        validFrom = credential.validFrom
        expires = credential.expires
        daysLeft = credential.daysLeft(at: now)
        retireAfter = credential.retireAfter
        displayName = credential.displayName
        self.valueStored = valueStored
        type = credential.kind.rawValue
        thumbprint = credential.thumbprint
        holder = credential.holder.rawValue
    }
}

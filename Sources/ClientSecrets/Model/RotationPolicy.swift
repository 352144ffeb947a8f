import Foundation

/// When an app's secret is rotated and how long the old one stays valid afterwards.
public struct RotationPolicy: Sendable, Hashable, Codable {
    /// How long a new secret is valid: at most 730 days here, as Graph's default end date is two
    /// years after the start and the Entra admin center offers at most 24 months; a tenant's app
    /// management policy may allow less.
    public var lifetime: TimeInterval
    /// How long before expiry a rotation becomes due.
    public var rotateBefore: TimeInterval
    /// How long the previous secret stays valid at the issuer after the switch.
    public var overlap: TimeInterval

    /// 180 days, 30 days, 7 days.
    public static let `default` = RotationPolicy(lifetime: 180 * 86_400, rotateBefore: 30 * 86_400, overlap: 7 * 86_400)

    /// Creates a policy; all three must be positive and `rotateBefore` shorter than `lifetime`.
    public init(lifetime: TimeInterval, rotateBefore: TimeInterval, overlap: TimeInterval) {
        self.lifetime = lifetime
        self.rotateBefore = rotateBefore
        self.overlap = overlap
    }

    /// Throws ``VaultError/invalidValue(field:reason:)`` naming the first value that does not make sense.
    public func validate() throws {
        guard lifetime > 0 else { throw VaultError.invalidValue(field: "lifetime", reason: "must be longer than zero") }
        guard lifetime <= 730 * 86_400 else {
            throw VaultError.invalidValue(field: "lifetime", reason: "at most 730d (two years, the end date Graph gives a secret by default); a tenant's app management policy may allow less")
        }
        guard rotateBefore > 0, rotateBefore < lifetime else {
            throw VaultError.invalidValue(field: "rotate-before", reason: "must be longer than zero and shorter than the lifetime")
        }
        guard overlap >= 0, overlap < lifetime else {
            throw VaultError.invalidValue(field: "overlap", reason: "must not be negative and must be shorter than the lifetime")
        }
    }
}

import CryptoPrimitives
import Foundation

/// What an audit entry says besides its action and outcome; stored encrypted.
struct AuditDetails: Codable, Sendable, Hashable {
    var actor: String
    var app: String?
    var appID: String?
    var keyID: String?
    var detail: String?
}

/// The audit log's hash chain: each entry's hash covers the previous entry's hash and
/// everything stored in the entry, so an entry altered, removed or reordered breaks the chain.
enum AuditChain {
    static func hash(previous: Data, seq: Int64, at: Int64, action: String, outcome: String, details: Data) throws -> Data {
        var message = Array("secrets/v1 audit".utf8) + [UInt8](previous)
        message += withUnsafeBytes(of: seq.bigEndian, Array.init)
        message += withUnsafeBytes(of: at.bigEndian, Array.init)
        for text in [action, outcome] {
            let utf8 = Array(text.utf8)
            message += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
        }
        message += [UInt8](details)
        return Data(try SHA256.hash(message))
    }

    /// The audit row's encrypted details are bound to its sequence number, time, action and
    /// outcome, so none of the clear columns can be rewritten without the metadata key.
    static func binding(seq: Int64, at: Int64, action: String, outcome: String) -> RecordCipher.Binding {
        RecordCipher.Binding(
            table: "audit", column: "details", row: RecordID(bytes: withUnsafeBytes(of: seq.bigEndian, Array.init)),
            context: [String(at), action, outcome], rowName: String(seq))
    }
}

/// One entry of the audit log.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// Position in the log, from 1.
    public let sequence: Int64
    /// When it happened.
    public let at: Date
    /// Who did it: `user@host`, or what an embedding program passed.
    public let actor: String
    /// What was done, such as `app.add` or `secret.add`.
    public let action: AuditAction
    /// `ok`, or `failed`.
    public let outcome: AuditOutcome
    /// The app's label, when the action concerned one.
    public let app: String?
    /// The app's client ID.
    public let appID: String?
    /// The credential's key ID, when the action concerned one.
    public let keyID: String?
    /// More about what was done; never a secret value.
    public let detail: String?
}

import ClientSecrets
import CryptoPrimitives
import Foundation

/// The one gate every issuer answer passes before anything of it is stored, printed, handed to a
/// hook or written to a file.
///
/// An issuer is a server at the end of a URL: a compromised, spoofed or buggy one can answer
/// anything. `secret add` refuses a key id that is not a GUID, a value that is not text or is
/// longer than 4,096 bytes; an issuer's answer gets the same checks and more, because nobody
/// typed it: no control characters in the value (they would reach a hook's stdin, a payload and
/// an export that import then refuses), dates that belong to this rotation (not year 9999 or 0001),
/// a key id the vault does not hold yet (a duplicate would be silently merged with an existing
/// key), and a display name made printable. What fails is a ``RotationFailure/invalidAnswer(_:)``
/// whose message describes the problem without quoting the value.
public struct IssuedSecretCheck: Sendable {
    /// How far an issuer's clock may be from ours: its start dates may be this much earlier than
    /// the rotation began, its dates this much later than ours.
    public static let clockSkew: TimeInterval = 3600
    /// How much later than requested an expiry may be (issuers round, and a resumed rotation asks
    /// with the date it first computed).
    public static let expirySlack: TimeInterval = 86_400
    /// The longest display name kept; longer ones are cut (Entra ID allows far fewer).
    public static let maximumDisplayName = 256

    /// When the rotation started (its journal row's start): nothing it creates starts before.
    public var started: Date
    /// The expiry the request asked for.
    public var requestedExpiry: Date
    /// Now, on the engine's clock.
    public var now: Date
    /// The key ids the vault already holds for the app (any state).
    public var knownKeyIDs: Set<String>

    /// Creates the check of an answer to a request made at `started` for a secret ending at `requestedExpiry`.
    public init(started: Date, requestedExpiry: Date, now: Date, knownKeyIDs: some Sequence<String>) {
        self.started = started
        self.requestedExpiry = requestedExpiry
        self.now = now
        self.knownKeyIDs = Set(knownKeyIDs.map { $0.lowercased() })
    }

    /// `issued`, normalised (lowercase key id, a missing expiry replaced by the requested one, a
    /// printable display name), or a ``RotationFailure/invalidAnswer(_:)`` naming the first problem.
    public func check(_ issued: IssuedSecret) throws -> IssuedSecret {
        let keyID = issued.keyID.lowercased()
        guard Validation.isGUID(keyID) else {
            throw RotationFailure.invalidAnswer("the issuer's key id is not a GUID (\(Self.describe(keyID)))")
        }
        guard !knownKeyIDs.contains(keyID) else {
            throw RotationFailure.invalidAnswer(
                "the issuer answered with key id \(keyID), which the vault already holds for this app: a new secret must have a new key id")
        }
        if let certificate = issued.certificate {
            // Made here, not by the server: the bundle must still be that certificate and its key.
            guard (try? CertificateBundle.decode(issued.value))?.certificate == certificate else {
                throw RotationFailure.invalidAnswer("the new certificate's value is not that certificate and its private key")
            }
        } else if let problem = Self.valueProblem(issued.value) {
            throw RotationFailure.invalidAnswer("the issuer's secret value \(problem)")
        }
        let expires = issued.expires ?? requestedExpiry
        let earliest = started.addingTimeInterval(-Self.clockSkew)
        if let validFrom = issued.validFrom {
            guard validFrom >= earliest, validFrom <= now.addingTimeInterval(Self.clockSkew) else {
                throw RotationFailure.invalidAnswer(
                    "the issuer's start date \(Self.format(validFrom)) is not within this rotation (started \(Self.format(started)))")
            }
            guard validFrom < expires else {
                throw RotationFailure.invalidAnswer("the issuer's start date \(Self.format(validFrom)) is not before its end date \(Self.format(expires))")
            }
        }
        guard expires > now, expires >= earliest else {
            throw RotationFailure.invalidAnswer("the issuer's end date \(Self.format(expires)) has already passed")
        }
        guard expires <= requestedExpiry.addingTimeInterval(Self.expirySlack) else {
            throw RotationFailure.invalidAnswer(
                "the issuer's end date \(Self.format(expires)) is later than the \(Self.format(requestedExpiry)) asked for")
        }
        return IssuedSecret(
            keyID: keyID, value: issued.value, validFrom: issued.validFrom, expires: expires,
            displayName: issued.displayName.map(Self.displayName), certificate: issued.certificate)
    }

    /// Only the listings whose key id is a GUID: a secret the issuer lists under anything else
    /// cannot be named safely in a request, so it is left alone (and said so by the caller).
    public static func listed(_ secrets: [IssuedSecretInfo]) -> (valid: [IssuedSecretInfo], invalid: Int) {
        let valid = secrets.filter { Validation.isGUID($0.keyID) }.map {
            IssuedSecretInfo(keyID: $0.keyID, displayName: $0.displayName.map(displayName), expires: $0.expires)
        }
        return (valid, secrets.count - valid.count)
    }

    /// Why `value` cannot be a client secret, or `nil`: the rules of `secret add` (not empty, not
    /// only blanks, at most ``Vault/maximumSecretCount`` bytes, UTF-8 text) plus no character a
    /// terminal or a JSON reader would act on (C0 and C1 controls, DEL, bidi overrides).
    public static func valueProblem(_ value: SecureBytes) -> String? {
        guard value.count > 0 else { return "is empty" }
        guard value.count <= Vault.maximumSecretCount else { return "is longer than \(Vault.maximumSecretCount) bytes (\(value.count))" }
        return value.withUnsafeBytes { bytes -> String? in
            if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "is only blanks" }
            // Decoded scalar by scalar, without making a String of the secret.
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    if TerminalText.isUnsafe(scalar) { return "contains control characters" }
                case .emptyInput:
                    return nil
                case .error:
                    return "is not UTF-8 text"
                }
            }
        }
    }

    /// A display name as it may be stored and shown: control characters escaped, at most
    /// ``maximumDisplayName`` characters.
    public static func displayName(_ name: String) -> String {
        String(TerminalText.neutralised(String(name.prefix(maximumDisplayName))).prefix(maximumDisplayName * 2))
    }

    /// What is wrong with a text, without quoting it: its length and whether it holds control characters.
    static func describe(_ text: String) -> String {
        let controls = text.unicodeScalars.contains(where: TerminalText.isUnsafe)
        return "\(text.unicodeScalars.count) characters\(controls ? ", control characters among them" : "")"
    }

    static func format(_ date: Date) -> String {
        // Years outside 1…9999 are what a hostile answer would send; ISO 8601 cannot show them all.
        guard (-62_135_596_800.0...253_402_300_799.0).contains(date.timeIntervalSince1970) else { return "(out of range)" }
        return DateParser.format(date)
    }
}

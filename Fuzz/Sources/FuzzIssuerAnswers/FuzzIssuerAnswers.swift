@testable import ClientSecrets
import CryptoPrimitives
@testable import EntraID
import Foundation
import FuzzSupport
import HTTPClient
@testable import JamfProAPI
import Rotation

/// libFuzzer entry point: the input is the body of an answer from Graph, the token endpoint or Jamf Pro.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIssuerAnswers(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { IssuerAnswersTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzIssuerAnswers_main")
public func fuzzIssuerAnswersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzIssuerAnswers)
}

/// Every parser of what an issuer or a consumer's server answers, fed the same body: the
/// `addPassword` answer (``SecretTextReader``, the `passwordCredential` decode, ``RFC3339Timestamp``),
/// the token endpoint's answer (``TokenAnswer``), the application document (``GraphApplication``), error answers of Graph and the token endpoint
/// (``ServiceError``), Jamf Pro's token and API-client answers (``JSONFieldScanner``) and its
/// compliance answer (``ComplianceInformation``); then the gate all of them lead to,
/// ``IssuedSecretCheck``, and the failure messages built from them.
///
/// Properties, beyond never trapping:
/// - `secretText`, when the body is a JSON object holding it once, is read byte for byte as
///   `JSONSerialization` reads it; the Jamf scanner agrees with it on top-level strings.
/// - Whatever passes ``IssuedSecretCheck`` has a lowercased GUID key id, a value of 1…4,096 bytes
///   of UTF-8 text without a control character, dates within the rotation, and a display name
///   without a control character. What fails is ``RotationFailure/invalidAnswer(_:)``.
/// - No message built from the answer (a ``ServiceError`` summary, any ``RotationFailure``
///   description, a listing's display name after the gate) holds a control character.
/// - Only `COMPLIANT` and `NON_COMPLIANT` count as a reported canary.
/// - Graph's credential sign-in report (``CredentialSignInActivities``) yields only lowercased GUID
///   key ids with sign-ins between 2000 and a day after "now"; Jamf Pro's inventory answer
///   (``ComputerInventoryReport``) only dates between 2000 and five minutes after "now". Refusals
///   are printable and never quote the answer's dates.
enum IssuerAnswersTarget {
    static let started = Date(timeIntervalSince1970: 1_800_000_000)
    static let requested = started.addingTimeInterval(180 * 86_400)

    static func run(_ input: UnsafeRawBufferPointer) {
        let data = Data(input)
        checkAddPassword(data)
        checkToken(data)
        checkApplication(data)
        checkServiceError(data)
        checkJamf(data)
        checkUsageAndInventory(data)
        checkMessages(data)
    }

    /// A terminal acts on these rather than showing them (the definition is repeated here, not
    /// taken from ``TerminalText``, so that the check is independent of the code it checks).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    static func printable(_ text: String) -> Bool { !text.unicodeScalars.contains(where: isControl) }

    static func isLowercasedGUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12]
            && groups.allSatisfy { $0.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) } }
    }

    /// The token endpoint's answer: what ``TokenAnswer`` takes can be sent as `Bearer` without
    /// adding anything to a request, and its lifetime is one date arithmetic can use.
    static func checkToken(_ data: Data) {
        guard let answer = TokenAnswer.parse(data) else { return }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=".unicodeScalars)
        Property.require(!answer.accessToken.isEmpty && answer.accessToken.utf8.count <= 16_384, "a token of a length not allowed")
        Property.require(answer.accessToken.unicodeScalars.allSatisfy(allowed.contains), "a token with a character a header must not get")
        Property.require(answer.expiresIn.isFinite && (0...86_400).contains(answer.expiresIn), "an expires_in outside 0...86400")
        _ = Date().addingTimeInterval(answer.expiresIn)
    }

    static func checkAddPassword(_ data: Data) {
        let value = SecretTextReader.secretText(in: data)
        if let value {
            Property.require(value.count > 0, "SecretTextReader returned an empty secretText")
            // Compared with Foundation only where both must agree: one raw "secretText" key in a
            // top-level object whose value is a string (escapes decoded the same way).
            if data.count < 65_536, occurrences(of: Array("\"secretText\"".utf8), in: data) == 1,
               let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let text = object["secretText"] as? String,
               !text.unicodeScalars.contains(where: { $0 == "\u{FFFD}" }) {
                Property.require(value.withUnsafeBytes { Array($0) } == Array(text.utf8), "SecretTextReader disagrees with JSONSerialization")
            }
        }
        guard let credential = try? JSONDecoder().decode(GraphPasswordCredential.self, from: data) else { return }
        let issued = IssuedSecret(
            keyID: credential.keyId, value: value ?? SecureBytes(copying: [UInt8]()), validFrom: credential.start, expires: credential.end,
            displayName: credential.displayName)
        checkGate(issued)
        // The dates Graph writes come back as the same instant when formatted and parsed again.
        if let end = credential.end, (-62_135_596_800.0...253_402_300_799.0).contains(end.timeIntervalSince1970) {
            let again = RFC3339Timestamp.parse(DateParser.format(end))
            Property.require(again.map { abs($0.timeIntervalSince1970 - end.timeIntervalSince1970.rounded(.down)) < 0.001 } ?? false,
                             "RFC3339Timestamp does not round-trip a date it parsed")
        }
    }

    static func checkGate(_ issued: IssuedSecret) {
        let check = IssuedSecretCheck(started: started, requestedExpiry: requested, now: started.addingTimeInterval(1), knownKeyIDs: [])
        do {
            let passed = try check.check(issued)
            Property.require(isLowercasedGUID(passed.keyID), "a key id that is not a lowercased GUID passed the gate")
            Property.require((1...Vault.maximumSecretCount).contains(passed.value.count), "a value of a refused length passed the gate")
            let text = passed.value.withUnsafeBytes { String(validating: $0, as: UTF8.self) }
            Property.require(text.map(printable) ?? false, "a value that is not printable UTF-8 text passed the gate")
            Property.require(passed.displayName.map(printable) ?? true, "a display name with control characters passed the gate")
            let expires = passed.expires ?? .distantPast
            Property.require(expires > started && expires <= requested.addingTimeInterval(IssuedSecretCheck.expirySlack),
                             "an expiry outside the rotation passed the gate")
            if let validFrom = passed.validFrom {
                Property.require(validFrom >= started.addingTimeInterval(-IssuedSecretCheck.clockSkew) && validFrom < expires,
                                 "a start outside the rotation passed the gate")
            }
        } catch let failure as RotationFailure {
            guard failure.code == .invalidAnswer else { Property.fail("the gate threw something other than invalidAnswer") }
            Property.require(printable(failure.description), "a refusal message holds a control character")
        } catch {
            Property.fail("the gate threw something other than a RotationFailure")
        }
    }

    static func checkApplication(_ data: Data) {
        guard let application = try? JSONDecoder().decode(GraphApplication.self, from: data) else { return }
        let listed = (application.passwordCredentials ?? []).map { IssuedSecretInfo(keyID: $0.keyId, displayName: $0.displayName, expires: $0.end) }
        let (valid, invalid) = IssuedSecretCheck.listed(listed)
        Property.require(valid.count + invalid == listed.count, "the listing check lost entries")
        for info in valid {
            Property.require(isLowercasedGUID(info.keyID), "a listed key id that is not a lowercased GUID was kept")
            Property.require(info.displayName.map(printable) ?? true, "a listed display name keeps a control character")
        }
    }

    static func checkServiceError(_ data: Data) {
        // The status only decides what the caller makes of it; one parse covers the body.
        let error = ServiceError(status: 400, body: data)
        Property.require(printable(error.summary), "a ServiceError summary holds a control character")
        Property.require(error.summary.count <= 1_000, "a ServiceError summary is unbounded")
        _ = error.credentialRefusal
    }

    static func checkJamf(_ data: Data) {
        for secrets in [Set(["access_token"]), Set(["clientSecret"])] {
            guard let fields = JSONFieldScanner.scan(data, secrets: secrets) else { continue }
            if data.count < 65_536, let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                for (name, text) in fields.strings where occurrences(of: Array("\"\(name)\"".utf8), in: data) == 1 {
                    if let expected = object[name] as? String, !expected.unicodeScalars.contains(where: { $0 == "\u{FFFD}" }) {
                        Property.require(expected == text, "JSONFieldScanner disagrees with JSONSerialization on a string")
                    }
                }
            }
            if let secret = fields.secrets["clientSecret"], secret.count > 0 {
                checkGate(IssuedSecret(keyID: UUID().uuidString, value: secret, expires: requested, displayName: "secrets:x"))
            }
        }
        guard let entries = try? JSONDecoder().decode([ComplianceInformation].self, from: data) else { return }
        for entry in entries where entry.isReported {
            Property.require(["COMPLIANT", "NON_COMPLIANT"].contains(entry.complianceState), "an undocumented compliance state counts as reported")
        }
        let explanation = JamfIntuneConsumer.explainUnreported(entries, canary: "42", url: "https://jamf.example")
        Property.require(printable(explanation), "the canary explanation holds a control character")
        for entry in entries {
            Property.require(printable(JamfIntuneConsumer.quoted(entry.complianceVendor ?? "")), "a quoted vendor holds a control character")
        }
    }

    static func checkUsageAndInventory(_ data: Data) {
        let appID = "f4d9654f-0305-4072-878c-8bf266dfe146"
        do {
            let page = try CredentialSignInActivities.parse(data, appID: appID, now: started)
            for (keyID, signIn) in page.signIns {
                Property.require(isLowercasedGUID(keyID), "a sign-in report key id that is not a lowercased GUID was kept")
                Property.require(signIn.at >= CredentialSignInActivities.earliest && signIn.at <= started.addingTimeInterval(CredentialSignInActivities.skew),
                                 "a sign-in outside 2000…tomorrow was kept")
                Property.require(signIn.resource.map(printable) ?? true, "a resource id keeps a control character")
            }
        } catch {
            Property.require(printable(error.description), "a sign-in report refusal holds a control character")
        }
        do {
            let report = try ComputerInventoryReport.parse(data, now: started, host: "jamf.example")
            for date in [report.reportDate, report.lastContactTime].compactMap({ $0 }) {
                Property.require(date >= ComputerInventoryReport.earliest && date <= started.addingTimeInterval(ComputerInventoryReport.clockSkew),
                                 "an inventory date outside 2000…now + skew was kept")
            }
        } catch let failure as RotationFailure {
            guard failure.code == .unexpectedResponse else { Property.fail("the inventory parser threw something other than unexpectedResponse") }
            Property.require(printable(failure.description), "an inventory refusal holds a control character")
        } catch {
            Property.fail("the inventory parser threw something other than a RotationFailure")
        }
    }

    /// Any text a server sends, in any failure: one printable line.
    static func checkMessages(_ data: Data) {
        let text = String(decoding: data.prefix(4096), as: UTF8.self)
        for failure in [RotationFailure.unexpectedResponse(text), .verificationFailed(text), .needsPerson(text), .invalidAnswer(text)] {
            Property.require(printable(failure.description), "a RotationFailure description holds a control character")
        }
    }

    static func occurrences(of needle: [UInt8], in data: Data) -> Int {
        guard !needle.isEmpty, data.count >= needle.count else { return 0 }
        var count = 0
        data.withUnsafeBytes { bytes in
            var index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], zip(needle, bytes[index..<index + needle.count]).allSatisfy({ $0 == $1 }) { count += 1 }
                index += 1
            }
        }
        return count
    }
}

@testable import Age
import CryptoPrimitives
import FuzzSupport

/// libFuzzer entry point: the input is the contents of an identity file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentityFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { IdentityFileTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzIdentityFile_main")
public func fuzzIdentityFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzIdentityFile)
}

/// The identity-file parser (plain and passphrase-protected), Bech32, and `age1…` recipients.
///
/// Properties, beyond never trapping:
/// - A file that parses holds one identity per line that is not blank or a comment, and each
///   identity encodes back to exactly its line: only the canonical upper-case form is accepted.
/// - A refusal is ``AgeError/invalidIdentity(reason:)`` and its reason never repeats a line of
///   the file (a line could be a secret key).
/// - The passphrase is asked for only for an age file with a single scrypt stanza.
/// - Recipient and identity strings that parse encode back to the same text.
enum IdentityFileTarget {
    struct PassphraseRequested: Error {}

    static func run(_ input: UnsafeRawBufferPointer) {
        checkPlain(input)
        checkProtected(input)
        checkStrings(input)
    }

    /// The lines the parser reads identities from, as it splits them.
    static func keyLines(_ input: UnsafeRawBufferPointer) -> [[UInt8]] {
        input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).compactMap { line in
            var line = Array(line)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            return line.isEmpty || line.first == UInt8(ascii: "#") ? nil : line
        }
    }

    static func checkPlain(_ input: UnsafeRawBufferPointer) {
        let lines = keyLines(input)
        do {
            let identities = try IdentityFile.parse(input)
            Property.require(identities.count == lines.count, "an identity file parsed to another number of identities than key lines")
            for (identity, line) in zip(identities, lines) {
                Property.require(identity.encoded().withUnsafeBytes { Array($0) } == line, "an identity does not encode back to its line")
            }
        } catch AgeError.invalidIdentity(let reason) {
            Property.require(refusals.contains(template(reason)), "an identity-file error is not one of the fixed reasons (it may repeat the file)")
        } catch {
            Property.fail("IdentityFile.parse threw something other than invalidIdentity: \(type(of: error))")
        }
    }

    static func checkProtected(_ input: UnsafeRawBufferPointer) {
        var asked = false
        let contents = SecureBytes(copying: Array(input))
        do {
            _ = try IdentityFile.parse(contents) {
                asked = true
                // Stop here: the default ceiling (work factor 22) would let one input take
                // seconds and gigabytes. What follows is AgeFile.decrypt, which FuzzAgeHeader
                // fuzzes with the testkit's passphrases, and then the plain parse checked above.
                throw PassphraseRequested()
            }
            Property.require(!IdentityFile.isEncrypted(input), "an age file parsed as a plain identity file")
        } catch is PassphraseRequested {
            Property.require(asked && IdentityFile.isEncrypted(input), "the passphrase was asked for a file that is not an age file")
        } catch let error as AgeError {
            Property.require(!asked, "the passphrase callback's error was replaced")
            if case .invalidIdentity = error { return }
            Property.require(IdentityFile.isEncrypted(input), "a plain identity file failed with a header error")
        } catch {
            Property.fail("IdentityFile.parse threw a non-AgeError: \(type(of: error))")
        }
    }

    static func checkStrings(_ input: UnsafeRawBufferPointer) {
        guard input.count <= 512 else { return }
        let text = String(decoding: input, as: UTF8.self)
        if let identity = try? X25519Identity(text) {
            Property.require(identity.encoded().withUnsafeBytes { Array($0) } == Array(text.utf8), "an identity string does not encode back to itself")
            Property.require(try! X25519Identity(encoded: input).recipient == identity.recipient, "the String and byte identity parsers disagree")
        }
        if let recipient = try? X25519Recipient(text) {
            Property.require(recipient.description == text, "a recipient string does not encode back to itself")
        }
    }

    /// Every reason the parser may give, with the line number as `N`: nothing from the file.
    static let refusals: Set<String> = [
        "line N is an age plugin identity, which is not supported",
        "line N is not an AGE-SECRET-KEY-1… identity",
        "the file holds no identity",
    ]

    /// `reason` with its first run of digits replaced by `N`.
    static func template(_ reason: String) -> String {
        guard let first = reason.firstIndex(where: { $0.isASCII && $0.isNumber }) else { return reason }
        let end = reason[first...].firstIndex { !($0.isASCII && $0.isNumber) } ?? reason.endIndex
        return reason.replacingCharacters(in: first..<end, with: "N")
    }
}

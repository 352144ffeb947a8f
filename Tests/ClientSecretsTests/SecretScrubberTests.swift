import ClientSecrets
import CryptoPrimitives
import Foundation
import Testing

/// The scrubber that keeps hook output and service answers free of secrets, in every form it
/// claims to match; the expected encodings are made here with Foundation, not with its code.
@Suite struct SecretScrubberTests {
    /// Shaped like an Entra ID client secret, with a `~`, a `.` and a `_` that URL-encoding changes.
    static let secret = "Q8x~Kd/3mP.vT9_wLr+Zs4NbYh2Jc6Ge1Fa0UoXi"
    static let scrubber = SecretScrubber(secrets: [SecureBytes(copying: Array(secret.utf8))])

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func base64URL(_ text: String) -> String {
        base64(text).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
    static func hex(_ text: String, uppercase: Bool = false) -> String {
        text.utf8.map { String(format: uppercase ? "%02X" : "%02x", $0) }.joined()
    }
    static func percent(_ text: String, allowed: CharacterSet) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed)!
    }

    /// Each form the scrubber promises, as another program would print it.
    static let encodings: [(String, String)] = {
        var formAllowed = CharacterSet.alphanumerics
        formAllowed.insert(charactersIn: "*-._")
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        return [
            ("the value", secret),
            ("base64", base64(secret)),
            ("base64 without padding", base64(secret).trimmingCharacters(in: ["="])),
            ("base64url", base64URL(secret)),
            ("base64url without padding", base64URL(secret).trimmingCharacters(in: ["="])),
            ("lowercase hex", hex(secret)),
            ("uppercase hex", hex(secret, uppercase: true)),
            ("percent-encoding, unreserved kept", percent(secret, allowed: unreserved)),
            ("percent-encoding, lowercase digits", percent(secret, allowed: unreserved).replacingOccurrences(of: "%2B", with: "%2b")
                .replacingOccurrences(of: "%2F", with: "%2f")),
            ("percent-encoding of everything but letters and digits", percent(secret, allowed: .alphanumerics)),
            ("form encoding", percent(secret, allowed: formAllowed)),
            ("percent-encoded base64", percent(base64(secret), allowed: unreserved)),
            ("all but the last character", String(secret.dropLast())),
            ("all but the first character", String(secret.dropFirst())),
            ("eight characters from the middle", String(secret.dropFirst(10).prefix(8))),
        ]
    }()

    @Test("every form of the secret is cut out, whatever surrounds it", arguments: encodings)
    func eachForm(_ name: String, _ form: String) {
        let text = "error: rejected \(form) (code 3)\n"
        let scrubbed = Self.scrubber.scrub(text)
        #expect(scrubbed == "error: rejected [redacted] (code 3)\n", "\(name): \(scrubbed)")
    }

    @Test("base64 of a text that holds the secret, at each of the three alignments, keeps no 8-character run of it")
    func base64Alignments() {
        for prefix in ["", "u", "us", "user:", "client_secret="] {
            for encoded in [Self.base64(prefix + Self.secret + "\n"), Self.base64URL(prefix + Self.secret)] {
                let scrubbed = Self.scrubber.scrub("Authorization: Basic \(encoded)")
                #expect(scrubbed.contains("[redacted]"), "prefix \(prefix): \(scrubbed)")
                // Only the characters that mix the prefix's bits with the secret's may remain.
                let kept = scrubbed.replacingOccurrences(of: "Authorization: Basic ", with: "")
                    .components(separatedBy: "[redacted]").map(\.count)
                #expect(kept.allSatisfy { $0 <= Self.base64(prefix).count + 4 }, "prefix \(prefix): \(scrubbed)")
            }
        }
    }

    @Test("runs of 7 characters and ordinary words are left alone")
    func shortRunsSurvive() {
        let passphrase = "password-correct-horse-battery"
        let scrubber = SecretScrubber(secrets: [SecureBytes(copying: Array(passphrase.utf8))])
        let text = "passwor, rrect-h and battery are fine; Q8x~Kd/ too"
        #expect(scrubber.scrub(text) == text)
        #expect(Self.scrubber.scrub(text) == text)
        #expect(scrubber.scrub("the password was wrong") == "the [redacted] was wrong")
        #expect(Self.scrubber.scrub("Q8x~Kd/3") == "[redacted]")
    }

    @Test("overlapping and adjacent forms become one marker; several secrets are all cut out")
    func markers() {
        let other = "another-secret-value-0123"
        let scrubber = SecretScrubber(secrets: [SecureBytes(copying: Array(Self.secret.utf8)), SecureBytes(copying: Array(other.utf8))])
        #expect(scrubber.scrub(Self.secret + Self.base64(Self.secret)) == "[redacted]")
        #expect(scrubber.scrub("a=\(Self.secret) b=\(other).") == "a=[redacted] b=[redacted].")
        #expect(scrubber.scrub("nothing here") == "nothing here")
        #expect(scrubber.scrub(Array("x \(other) y".utf8)) == Array("x [redacted] y".utf8))
    }

    @Test("a secret shorter than 8 bytes is matched whole only")
    func shortSecret() {
        let scrubber = SecretScrubber(secrets: [SecureBytes(copying: Array("tiny7ch".utf8))])
        #expect(scrubber.scrub("got tiny7ch, not tiny7") == "got [redacted], not tiny7")
        #expect(scrubber.scrub("b64 " + Self.base64("tiny7ch")) == "b64 [redacted]")
        #expect(SecretScrubber(secrets: [SecureBytes(copying: [UInt8]())]).scrub("text") == "text")
    }

    @Test("scrubbing is linear: 4 MiB of base64-like noise with secrets in it takes well under a few seconds")
    func largeOutput() {
        var text = ""
        let noise = Self.base64(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20))
        while text.utf8.count < 4 << 20 { text += noise + " " + Self.base64(Self.secret) + "\n" }
        let start = Date()
        let scrubbed = Self.scrubber.scrub(text)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(!scrubbed.contains(Self.base64(Self.secret).prefix(8)))
        #expect(scrubbed.contains(noise))
    }

    @Test("a service echoing a secret has it cut out; a value too short to be one is left alone")
    func scrubbingOneServiceAnswer() {
        let secret = SecureBytes(copying: Array("s3cr3t-value".utf8))
        #expect(SecretScrubber.scrub("bad s3cr3t-value here, s3cr3t-value", removing: secret) == "bad [redacted] here, [redacted]")
        #expect(SecretScrubber.scrub("nothing here", removing: secret) == "nothing here")
        #expect(SecretScrubber.scrub("a b c", removing: SecureBytes(copying: Array("a".utf8))) == "a b c")
    }

    @Test("JSON Web Tokens (a client assertion, a proof, an access token) are cut out, with or without a secret to scrub")
    func webTokens() {
        // Made here with Foundation: a header, a payload and a signature in base64url, unpadded.
        func part(_ text: String) -> String { Self.base64URL(text).replacingOccurrences(of: "=", with: "") }
        let assertion = part(#"{"alg":"PS256","typ":"JWT"}"#) + "." + part(#"{"aud":"https://login.example/t/oauth2/v2.0/token"}"#) + "." + part("signature bytes!")
        let unsigned = part(#"{"alg":"none"}"#) + "." + part(#"{"sub":"x"}"#) + "."
        let none = SecureBytes(copying: [])
        #expect(SecretScrubber.scrub("AADSTS700027: assertion \(assertion) is invalid", removing: none) == "AADSTS700027: assertion [redacted] is invalid")
        #expect(SecretScrubber.scrub("got \(unsigned), and \(assertion)", removing: none) == "got [redacted], and [redacted]")
        #expect(Self.scrubber.scrub("echo: client_assertion=\(assertion)&client_id=1") == "echo: client_assertion=[redacted]&client_id=1")
        // A character put in front does not hide one.
        #expect(SecretScrubber.scrub("k\(assertion)", removing: none) == "k[redacted]")
        // Shapes that are not a token stay: no second dot, a header too short, `eyJ` in a sentence.
        for text in ["eyJhbGciOi.only-one-dot", "eyJh.b.c", "see eyJ in a sentence."] {
            #expect(SecretScrubber.scrub(text, removing: none) == text)
        }
    }
}

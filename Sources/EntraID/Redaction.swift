import ClientSecrets
import CryptoPrimitives

/// Defence in depth for messages built from a service's answer: should a service ever echo a
/// secret back, in any form ``ClientSecrets/SecretScrubber`` matches (the value, a run of 8 or
/// more of its characters, base64, hex, percent-encoding), it is cut out before the text reaches
/// an error, which may be stored in the rotation journal.
enum Redaction {
    /// `text` with every form of `secret` replaced by `[redacted]`.
    static func scrub(_ text: String, removing secret: SecureBytes) -> String {
        // A value this short is no real client secret, and would blank ordinary text.
        guard secret.count >= 4 else { return text }
        return SecretScrubber(secrets: [secret]).scrub(text)
    }
}

import CryptoPrimitives
import Foundation
import HTTPClient

/// Takes `secretText` out of Graph's `addPassword` answer straight into wiped storage, through
/// the one scanner of secret-bearing answers (``HTTPClient/JSONFieldScanner``): decoded with
/// `JSONDecoder`, the new secret would become a `String` that lingers in freed memory.
enum SecretTextReader {
    /// The new secret's value, or nil when the answer is not a JSON object with a non-empty
    /// string `secretText`.
    static func secretText(in json: Data) -> SecureBytes? {
        guard let value = JSONFieldScanner.scan(json, secrets: ["secretText"])?.secrets["secretText"], value.count > 0 else {
            return nil
        }
        return value
    }
}

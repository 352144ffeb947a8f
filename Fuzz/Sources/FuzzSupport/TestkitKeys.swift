import Age
import CryptoPrimitives
import Foundation

/// The identities and passphrases of the age conformance vectors, read at run time from the kit
/// (`AGE_TESTKIT_DIR`, else `../shared/testdata/age-testkit` from the working directory), so
/// that mutations of the kit's files can get past the header MAC into the payload. Nothing of
/// the kit is copied into the repository. Without the kit a fresh identity stands in, and the
/// targets still run, only with less reach.
public enum TestkitKeys {
    /// The kit's directory.
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["AGE_TESTKIT_DIR"], !override.isEmpty { return override }
        return "../shared/testdata/age-testkit"
    }

    /// Every distinct `identity:` of the kit, parsed.
    public static let x25519: [X25519Identity] = {
        let parsed = values(of: "identity").compactMap { try? X25519Identity($0) }
        if !parsed.isEmpty { return parsed }
        return [try! X25519Identity.generate()]
    }()

    /// Every distinct `passphrase:` of the kit, as scrypt identities that refuse work factors
    /// above `maximumWorkFactor` (the kit uses 10; more would only slow the run down).
    public static func scrypt(maximumWorkFactor: Int) -> [ScryptIdentity] {
        values(of: "passphrase").map {
            ScryptIdentity(passphrase: SecureBytes(copying: Array($0.utf8)), maximumWorkFactor: maximumWorkFactor)
        }
    }

    /// The distinct values of `key:` lines in the vectors' preambles.
    static func values(of key: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var seen = Set<String>()
        var result: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            // The preamble ends at the first blank line; only its text is read.
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for line in lines {
                if line.isEmpty { break }
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix(key + ": ") else { continue }
                let value = String(text.dropFirst(key.count + 2))
                if seen.insert(value).inserted { result.append(value) }
            }
        }
        return result
    }
}

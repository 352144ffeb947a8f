import Foundation
import Testing

/// One vector of the age project's conformance kit: a few `key: value` lines, a blank line,
/// then the age file itself.
struct TestkitVector: CustomTestStringConvertible, Sendable {
    enum Expectation: String, Sendable {
        case success
        case noMatch = "no match"
        case headerFailure = "header failure"
        case hmacFailure = "HMAC failure"
        case payloadFailure = "payload failure"
        case armorFailure = "armor failure"
    }

    let name: String
    let expectation: Expectation
    /// SHA-256 of the payload, hex, for successful vectors.
    let payloadSHA256: String?
    let identities: [String]
    let passphrases: [String]
    let isArmored: Bool
    let file: [UInt8]

    var testDescription: String { name }

    /// The kit's directory: `AGE_TESTKIT_DIR`, or `../shared/testdata/age-testkit` beside the clone.
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["AGE_TESTKIT_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata/age-testkit")
    }

    /// The names of every vector file in the kit (everything but the README and LICENSE).
    static func allNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !["README.md", "LICENSE"].contains($0) }.sorted()
    }

    static func load(_ name: String) throws -> TestkitVector {
        let data = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        var fields: [(String, String)] = []
        var offset = 0
        while true {
            guard let newline = data[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw VectorError.malformed(name)
            }
            let line = String(decoding: data[offset..<newline], as: UTF8.self)
            offset = newline + 1
            if line.isEmpty { break }
            guard let colon = line.range(of: ": ") else { throw VectorError.malformed(name) }
            fields.append((String(line[..<colon.lowerBound]), String(line[colon.upperBound...])))
        }
        let values = { (key: String) in fields.filter { $0.0 == key }.map(\.1) }
        guard let rawExpectation = values("expect").first, let expectation = Expectation(rawValue: rawExpectation) else {
            throw VectorError.malformed(name)
        }
        return TestkitVector(
            name: name,
            expectation: expectation,
            payloadSHA256: values("payload").first,
            identities: values("identity"),
            passphrases: values("passphrase"),
            isArmored: values("armored").first == "yes",
            file: Array(data[offset...]))
    }

    enum VectorError: Error {
        case malformed(String)
    }
}

@testable import Age
import CryptoPrimitives
import FuzzSupport

/// libFuzzer entry point: the input is an age file (header, nonce, payload).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgeHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { AgeHeaderTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzAgeHeader_main")
public func fuzzAgeHeaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzAgeHeader)
}

/// The header and stanza parser, the base64 codec and whole-file decryption.
///
/// Properties, beyond never trapping:
/// - The parse does not depend on how the reader's buffer splits the input.
/// - A header that parses is canonical: its bytes are exactly the authenticated bytes, a space,
///   the MAC in base64 and a newline, and re-encoding its stanzas gives the same authenticated
///   bytes again.
/// - Base64 that decodes re-encodes to the same text (only canonical encodings are accepted).
/// - Decryption throws only ``AgeError``, and the in-memory and streaming forms agree.
enum AgeHeaderTarget {
    /// The testkit's identities and passphrases, so mutated kit files reach the payload.
    static let identities: [any AgeIdentity] = TestkitKeys.x25519 + TestkitKeys.scrypt(maximumWorkFactor: 10)
    /// Any key will do to re-encode a header: only the MAC depends on it, and it is cut off.
    static let fileKey = try! FileKey(SecureBytes(copying: [UInt8](repeating: 7, count: 16)))

    static func run(_ input: UnsafeRawBufferPointer) {
        checkHeader(input)
        checkBase64(input)
        checkDecrypt(input)
    }

    static func parse(_ input: UnsafeRawBufferPointer, capacity: Int) -> Result<Header, AgeError> {
        var reader = BufferedReader(UnsafeBytesSource(input), capacity: capacity)
        do {
            return .success(try Header.parse(from: &reader))
        } catch let error as AgeError {
            return .failure(error)
        } catch {
            Property.fail("Header.parse threw a non-AgeError: \(type(of: error))")
        }
    }

    static func checkHeader(_ input: UnsafeRawBufferPointer) {
        let parsed = parse(input, capacity: 4096)
        // A tiny buffer moves every line across refills; the outcome must not change.
        let small = parse(input, capacity: 1 + Int(input.last ?? 0) % 13)
        switch (parsed, small) {
        case (.success(let a), .success(let b)):
            Property.require(
                a.stanzas == b.stanzas && a.authenticatedBytes == b.authenticatedBytes && a.mac == b.mac,
                "the header parses differently with a small read buffer")
        case (.failure(let a), .failure(let b)):
            Property.require(a == b, "the header fails differently with a small read buffer")
        default:
            Property.fail("the header parses with one read buffer size and not with another")
        }
        guard case .success(let header) = parsed else { return }

        Property.require(!header.stanzas.isEmpty, "a parsed header has no stanza")
        Property.require(header.mac.count == 32, "a parsed header's MAC is not 32 bytes")
        for stanza in header.stanzas {
            Property.require(Header.isValidArgument(stanza.type), "a stanza type is not visible ASCII")
            Property.require(stanza.arguments.allSatisfy(Header.isValidArgument), "a stanza argument is not visible ASCII")
        }
        let expected = header.authenticatedBytes + Array(" ".utf8) + Base64.encode(header.mac) + Array("\n".utf8)
        Property.require(input.starts(with: expected), "the input does not start with the header as parsed (not canonical)")

        let encoded: [UInt8]
        do {
            encoded = try Header.encode(stanzas: header.stanzas, fileKey: fileKey)
        } catch {
            Property.fail("a parsed header's stanzas cannot be encoded again: \(error)")
        }
        // The encoding ends with " " + 43 base64 characters + "\n" for the MAC.
        Property.require(encoded.count == header.authenticatedBytes.count + 45, "the re-encoded header has another length")
        Property.require(Array(encoded.dropLast(45)) == header.authenticatedBytes, "the re-encoded header differs from the input")
    }

    static func checkBase64(_ input: UnsafeRawBufferPointer) {
        // One line of the input, as the parser would hand it to the decoder.
        let line = input.prefix { $0 != UInt8(ascii: "\n") }
        guard let decoded = Base64.decode(line) else { return }
        Property.require(Base64.encode(decoded) == Array(line), "base64 that decodes does not re-encode to the same text")
        Property.require(decoded.count == line.count * 3 / 4, "decoded base64 has the wrong length")
    }

    static func checkDecrypt(_ input: UnsafeRawBufferPointer) {
        let inMemory: Result<[UInt8], AgeError>
        do {
            let plaintext = try AgeFile.decrypt(Array(input), identities: identities)
            inMemory = .success(plaintext.withUnsafeBytes { Array($0) })
        } catch let error as AgeError {
            inMemory = .failure(error)
        } catch {
            Property.fail("AgeFile.decrypt threw a non-AgeError: \(type(of: error))")
        }

        var sink = ByteArraySink()
        let streamed: Result<[UInt8], AgeError>
        do {
            try AgeFile.decrypt(from: ByteArraySource(Array(input)), to: &sink, identities: identities)
            streamed = .success(sink.bytes)
        } catch let error as AgeError {
            streamed = .failure(error)
        } catch {
            Property.fail("streaming AgeFile.decrypt threw a non-AgeError: \(type(of: error))")
        }

        switch (inMemory, streamed) {
        case (.success(let a), .success(let b)):
            Property.require(a == b, "in-memory and streaming decryption give different plaintexts")
            Property.require(a.count < input.count, "the plaintext is not shorter than the file")
        case (.failure(let a), .failure(let b)):
            Property.require(a == b, "in-memory and streaming decryption fail differently")
        default:
            Property.fail("in-memory and streaming decryption disagree about success")
        }
    }
}

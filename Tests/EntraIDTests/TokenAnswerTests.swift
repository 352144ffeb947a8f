import Foundation
import HTTPClient
import Testing

@testable import EntraID

/// The token endpoint's answer is believed only as far as ``TokenAnswer`` checks it.
@Suite("Token answers: a bearer token that cannot add to a request, a lifetime clamped")
struct TokenAnswerTests {
    static func answer(_ json: String) -> TokenAnswer? { TokenAnswer.parse(Data(json.utf8)) }

    @Test("a JWT-shaped token is taken with its lifetime")
    func wellFormed() {
        let parsed = Self.answer(#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi.eyJhdWQi-_~+/.c2ln=="}"#)
        #expect(parsed == TokenAnswer(accessToken: "eyJ0eXAi.eyJhdWQi-_~+/.c2ln==", expiresIn: 3599))
    }

    @Test("a token with a line break, a space, a control or non-ASCII character, misplaced padding, or nothing is refused", arguments: [
        #""abc\r\nX-Hostile: 1""#, #""abc def""#, #""abc\u0000""#, #""abc\u001b[31m""#, #""abcé""#, #""a=b""#, #""==""#, #""""#,
        #"17"#, #"null"#,
    ])
    func malformed(_ token: String) {
        #expect(Self.answer(#"{"access_token":\#(token),"expires_in":3599}"#) == nil)
    }

    @Test("a token longer than 16 KiB is refused")
    func oversized() {
        let long = String(repeating: "a", count: BearerToken.maximumLength + 1)
        #expect(Self.answer(#"{"access_token":"\#(long)"}"#) == nil)
        #expect(Self.answer(#"{"access_token":"\#(long.dropLast())"}"#)?.accessToken.count == BearerToken.maximumLength)
    }

    @Test("expires_in out of range, missing or absurd is clamped before any arithmetic", arguments: [
        ("1e308", 86_400.0), ("99999999999999999999", 86_400), ("-5", 0), ("null", 3599), ("7200", 7200),
    ])
    func lifetime(_ value: String, _ expected: Double) {
        #expect(Self.answer(#"{"access_token":"t","expires_in":\#(value)}"#)?.expiresIn == expected)
    }
}

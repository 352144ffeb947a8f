import Foundation
import Testing

@testable import EntraID

/// A Graph or token-endpoint error answer is quoted in failures that reach the terminal and the
/// rotation journal: whatever the server puts in it comes out as one printable line.
@Suite struct ServiceErrorTests {
    @Test func controlCharactersInGraphErrorsAreEscaped() {
        let body = #"{"error":{"code":"Denied\u001b[2J","message":"no\u001b]52;c;SGVsbG8=\u0007 way\u009b31m","details":[{"code":"X\u0007"}]}}"#
        let error = ServiceError(status: 403, body: Data(body.utf8))
        #expect(error.summary == "HTTP 403 Denied\\u{1B}[2J: no\\u{1B}]52;c;SGVsbG8=\\u{7} way\\u{9B}31m")
        #expect(error.detailCodes == ["X\\u{7}"])
    }

    @Test func tokenErrorsKeepTheirFirstLineOnly() {
        let body = #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t","error_codes":[7000215]}"#
        let error = ServiceError(status: 401, body: Data(body.utf8))
        #expect(error.message == "AADSTS7000215: Invalid client secret provided.")
        #expect(error.aadstsCode == "AADSTS7000215")
    }

    @Test func codesAreCutShort() {
        let body = #"{"error":{"code":""# + String(repeating: "C", count: 5000) + #"","message":"m"}}"#
        #expect(ServiceError(status: 400, body: Data(body.utf8)).summary.count < 200)
    }
}

import ClientSecrets
import Foundation
import Testing

/// One parser reads every timestamp: Graph's answers, az exports, Graph's sign-in report and
/// dates people type. These pin what it accepts, so the readers cannot drift apart again.
@Suite struct RFC3339TimestampTests {
    static let instant = Date(timeIntervalSince1970: 1_809_129_600)  // 2027-05-01T00:00:00Z

    @Test(arguments: [
        "2027-05-01T00:00:00Z", "2027-05-01T00:00:00.0000000Z", "2027-05-01t00:00:00z", "2027-05-01T02:00:00+02:00",
        "2027-05-01T02:00:00+0200", "2027-04-30T20:00:00-04:00",
    ])
    func everyFormOfOneInstantIsThatInstant(text: String) {
        #expect(RFC3339Timestamp.parse(text) == Self.instant)
        // What a person types goes through the same parser.
        #expect(DateParser.absolute(text) == Self.instant)
    }

    @Test func fractionsOfAnyLengthAreKept() throws {
        let seven = try #require(RFC3339Timestamp.parse("2027-05-01T00:00:00.1234567Z"))
        #expect(abs(seven.timeIntervalSince(Self.instant) - 0.1234567) < 1e-6)
        #expect(DateParser.format(seven) == "2027-05-01T00:00:00Z")
    }

    @Test(arguments: [
        "2027-05-01T00:00:00", "2027-02-30T00:00:00Z", "2027-05-01 00:00:00Z", "2027-05-01T24:00:00Z", "2027-05-01T00:00:00.Z",
        "2027-05-01T00:00:00Z ", "27-05-01T00:00:00Z", "yesterday", "",
    ])
    func whatNamesNoInstantIsRefused(text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil)
        #expect(DateParser.absolute(text) == nil)
    }

    @Test func theFormatterAndTheParserRoundTrip() {
        for seconds in stride(from: -86_400.0 * 365 * 60, through: 86_400 * 365 * 60, by: 86_400 * 97.3) {
            let date = Date(timeIntervalSince1970: seconds.rounded(.down))
            #expect(RFC3339Timestamp.parse(DateParser.format(date)) == date)
        }
    }
}

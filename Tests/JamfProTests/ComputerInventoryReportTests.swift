import ClientSecrets
import Foundation
import Testing

@testable import JamfProAPI

/// The canary's report date: Jamf Pro's shapes are read, hostile values refused without being quoted.
@Suite struct ComputerInventoryReportTests {
    static let now = Date(timeIntervalSince1970: 1_796_100_000)  // 2026-12-01

    static func body(_ general: Any?) -> Data {
        var object: [String: Any] = ["id": "42", "udid": "55900BDC-347C-58B1-D249-F32244B11D30"]
        if let general { object["general"] = general }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    @Test func jamfProDatesWithAndWithoutMillisecondsAreRead() throws {
        let report = try ComputerInventoryReport.parse(
            Self.body(["reportDate": "2026-11-30T10:00:00.123Z", "lastContactTime": "2026-11-30T11:00:00Z", "name": "Canary"]),
            now: Self.now, host: "jamf.example")
        #expect(abs(try #require(report.reportDate).timeIntervalSince1970 - 1_796_032_800.123) < 0.001)
        #expect(report.lastContactTime == Date(timeIntervalSince1970: 1_796_036_400))
        let never = try ComputerInventoryReport.parse(Self.body(["reportDate": NSNull()]), now: Self.now, host: "jamf.example")
        #expect(never.reportDate == nil && never.lastContactTime == nil)
    }

    /// Hostile answers, as JSON text (arguments must be `Sendable`).
    @Test(arguments: [
        ("a report from the future", #"{"general": {"reportDate": "2027-06-01T00:00:00Z"}}"#, "out of range"),
        ("year 9999", #"{"general": {"reportDate": "9999-12-31T23:59:59.999Z"}}"#, "out of range"),
        ("the epoch", #"{"general": {"reportDate": "1970-01-01T00:00:00Z"}}"#, "out of range"),
        ("not a date", #"{"general": {"reportDate": "last Tuesday\u001b[2J"}}"#, "not a date"),
        ("a number", #"{"general": {"reportDate": 1796000000}}"#, "without a general section"),
        ("no general section", #"{"id": "42"}"#, "without a general section"),
        ("general is a string", #"{"general": "COMPLIANT"}"#, "without a general section"),
        ("not JSON", "<html>", "without a general section"),
    ])
    func hostileAnswersAreRefused(_ name: String, _ body: String, _ reason: String) {
        do {
            _ = try ComputerInventoryReport.parse(Data(body.utf8), now: Self.now, host: "jamf.example")
            Issue.record("\(name) was accepted")
        } catch let caught as RotationFailure where caught.code == .unexpectedResponse {
            let text = caught.reason
            #expect(text.contains(reason), "\(name): \(text)")
            #expect(!text.contains("Tuesday") && !text.contains("9999"))
        } catch {
            Issue.record("\(name): \(error)")
        }
    }
}

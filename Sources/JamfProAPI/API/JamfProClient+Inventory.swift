import ClientSecrets
import Foundation

extension JamfProClient {
    /// `GET /api/v1/computers-inventory/{id}?section=GENERAL`: when the computer last reported.
    /// Needs the API role privilege "Read Computers".
    ///
    /// - Throws: ``ClientSecrets/RotationFailure/notFound(_:)`` for a computer Jamf Pro does not know,
    ///   ``ClientSecrets/RotationFailure/permissionDenied(_:)`` without the privilege.
    public func computerInventoryReport(computerID: String, token: JamfAccessToken) async throws -> ComputerInventoryReport {
        try Self.requireNumericID(computerID, what: "computer id")
        let path = "/api/v1/computers-inventory/\(computerID)"
        let response = try await send("inventory read", method: "GET", path: path, query: "section=GENERAL", bearer: token, form: nil)
        guard response.status == 200 else { throw failure(response, operation: "inventory read", resource: "computer \(computerID)") }
        return try ComputerInventoryReport.parse(response.body, now: Date(), host: host)
    }
}

import Foundation
import Testing

@testable import ClientSecrets

/// The marker in a created secret's display name, with the app's description after it: the
/// orphan sweeps must find a secret by the marker that opens its name, and by nothing else.
@Suite("display name marker")
struct DisplayNameMarkerTests {
    static let id = "0b6f1f9e-6c1d-4a51-9f43-2f7a9d7c1e55"

    @Test("the description follows the marker after one space; none leaves the bare marker")
    func building() {
        #expect(RotationJournal.displayName(rotationID: Self.id, description: nil) == "secrets:\(Self.id)")
        #expect(RotationJournal.displayName(rotationID: Self.id, description: "") == "secrets:\(Self.id)")
        #expect(RotationJournal.displayName(rotationID: Self.id, description: "Jamf Pro") == "secrets:\(Self.id) Jamf Pro")
    }

    @Test("the rotation id is read only from a marker that opens the name and ends at a space or the end")
    func parsing() {
        #expect(RotationJournal.rotationID(inDisplayName: "secrets:\(Self.id)") == Self.id)
        #expect(RotationJournal.rotationID(inDisplayName: "secrets:\(Self.id) Jamf Pro secrets:other") == Self.id)
        #expect(RotationJournal.rotationID(inDisplayName: "copy of secrets:\(Self.id)") == nil)
        #expect(RotationJournal.rotationID(inDisplayName: "secrets:\(Self.id)x") == Self.id + "x")
        #expect(RotationJournal.rotationID(inDisplayName: "secrets: \(Self.id)") == nil)
        #expect(RotationJournal.rotationID(inDisplayName: "Secrets:\(Self.id)") == nil)
        #expect(RotationJournal.rotationID(inDisplayName: "") == nil)
    }

    @Test("a description cannot hold a control or formatting character, a blank at either end, or more than 64 characters")
    func validation() throws {
        try Validation.secretDescription("Jamf Pro Intune (prod) — rotated by secrets")
        try Validation.secretDescription(String(repeating: "d", count: 64))
        for bad in [String(repeating: "d", count: 65), "", " x", "x ", "a\u{1B}[2Jb", "a\nb", "a\u{202E}b", "a\u{200B}b"] {
            #expect(throws: VaultError.self, "\(bad.debugDescription)") { try Validation.secretDescription(bad) }
        }
    }

    @Test("a resumed rotation removes its own orphan, description and all, and never a secret that only quotes its marker")
    func resumeSweepsByTheOpeningMarker() async throws {
        let f = try RotationEngineTests.fixture()
        defer { f.harness.remove() }
        try f.harness.open().editApp("jamf", now: Sample.now) { $0.secretDescription = "Jamf Pro" }
        f.issuer.hangAfterNextCreate()
        let stuck = Task { try await f.engine().run(.due) }
        try await waitFor { f.issuer.secrets.count == 2 }
        let orphan = try #require(f.issuer.secrets.last)
        let rotation = try #require(try f.harness.open().journal(of: "jamf").first { $0.kind == .rotate }).rotationID
        #expect(orphan.displayName == "secrets:\(rotation) Jamf Pro")
        // Someone's secret whose name quotes the marker, and one whose id merely starts the same.
        let quoting = UUID().uuidString.lowercased(), longer = UUID().uuidString.lowercased()
        f.issuer.seed(keyID: quoting, value: "a-persons-value", displayName: "copy of secrets:\(rotation)")
        f.issuer.seed(keyID: longer, value: "another-value", displayName: "secrets:\(rotation)0 x")

        let resumed = try await f.engine().run(.due)
        stuck.cancel()
        #expect(resumed[0].status == .done)
        let newKey = try #require(resumed[0].newKeyID)
        #expect(Set(f.issuer.secrets.map(\.keyID)) == [f.oldKey, newKey, quoting, longer])
        #expect(f.issuer.secrets.first { $0.keyID == newKey }?.displayName == "secrets:\(rotation) Jamf Pro")
    }
}

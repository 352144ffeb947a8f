import ClientSecrets
import Emulators
import Foundation
import Rotation
import Testing

@testable import JamfPro
@testable import JamfProAPI
import ProcessHarness

/// Who wrote the record of when a secret was applied: a moment earlier than the secret itself, or
/// in a file someone else could have written, never makes a stale canary report count.
extension JamfIntuneConsumerTests {
    /// How a moment file is tampered with.
    enum Tampering: String, CaseIterable, Sendable {
        case worldWritable, groupWritable, otherOwner, symbolicLink, hardLink

        /// The ones this process can do: giving a file away takes root (the tests' container
        /// runs as root; as another user the mode cases stand for it).
        static let possible = allCases.filter { $0 != .otherOwner || geteuid() == 0 }
    }

    /// An ISO 8601 timestamp as the moment file and the emulator's report dates hold them.
    static func stamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Writes `moment` as the record of when `Sample.keyID` was applied, as `tampering` leaves it
    /// (`nil`: as secrets itself writes it, this user's, mode 0600).
    static func writeMoment(_ moment: Date, in payloads: String, tampering: Tampering? = nil) throws {
        let path = payloads + "/" + AppliedMoments.name(label: "jamf-intune", keyID: Sample.keyID)
        try? FileManager.default.removeItem(atPath: path)
        var target = path
        if tampering == .symbolicLink {
            target = payloads + "/elsewhere"
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        }
        #expect(FileManager.default.createFile(atPath: target, contents: Data((stamp(moment) + "\n").utf8)))
        let mode: Int16 = switch tampering { case .worldWritable: 0o666; case .groupWritable: 0o620; default: 0o600 }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target)
        if tampering == .hardLink {
            // A second name, say in a directory someone else can write.
            try? FileManager.default.removeItem(atPath: payloads + "/elsewhere")
            try FileManager.default.linkItem(atPath: target, toPath: payloads + "/elsewhere")
        }
        if tampering == .otherOwner {
            try FileManager.default.setAttributes([.ownerAccountID: 65_534], ofItemAtPath: target)
        }
    }

    /// Deploys a secret created at `created`, leaves the canary's last report ten minutes old,
    /// rewrites the record of the apply to say `forged` (as `tampering` leaves the file), then
    /// verifies as a later run would, reading the record back.
    static func verifyAfterForging(
        _ forged: Date, created: Date, tampering: Tampering? = nil, emulator: JamfProEmulator, url: URL, payloads: String
    ) async throws -> ConsumerOutcome {
        let delivery = Self.delivery(created: created)
        _ = try await Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), directory: payloads).deploy(delivery)
        await emulator.report(computerID: EmulatorHarness.canary, reportDate: Self.stamp(Date().addingTimeInterval(-600)))
        try Self.writeMoment(forged, in: payloads, tampering: tampering)
        return try await Self.make(Self.consumer(url: url, apply: Self.curlApply(url)), directory: payloads).verify(delivery)
    }

    @Test func aMomentBeforeTheSecretExistedDoesNotMakeAStaleReportCount() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { emulator, url in
            // The canary's last report predates the new secret; the record says the secret was
            // applied in 2020, in a file that passes every check on who wrote it.
            let outcome = try await Self.verifyAfterForging(
                Date(timeIntervalSince1970: 1_577_836_800), created: Date().addingTimeInterval(-60),
                emulator: emulator, url: url, payloads: directory.path + "/payloads")
            guard case .needsPerson(let text) = outcome else { Issue.record("a report older than the secret was verified: \(outcome)"); return }
            #expect(text.hasPrefix("not verified yet"), "\(text)")
            // The bound it reports is the credential's creation, not the forged 2020.
            #expect(!text.contains("2020-01-01"), "\(text)")
        }
    }

    @Test(arguments: Tampering.possible)
    func aMomentFileSomeoneElseCouldHaveWrittenIsIgnored(_ tampering: Tampering) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await EmulatorHarness.withEmulator { emulator, url in
            let payloads = directory.path + "/payloads"
            // Created an hour ago, so that only the record decides which report is fresh: one
            // saying the apply was half an hour ago makes the report of ten minutes ago count.
            let (forged, created) = (Date().addingTimeInterval(-1_800), Date().addingTimeInterval(-3_600))
            let outcome = try await Self.verifyAfterForging(
                forged, created: created, tampering: tampering, emulator: emulator, url: url, payloads: payloads)
            guard case .needsPerson(let text) = outcome else { Issue.record("a \(tampering) moment file was trusted: \(outcome)"); return }
            #expect(text.hasPrefix("not verified yet") && text.contains("not trusted"), "\(text)")
            #expect(text.contains("--confirm-deployed"), "\(text)")

            // The same record in a file only this user could write is believed: its content alone
            // would have made the stale report count, so the checks above are what refused it.
            let trusted = try await Self.verifyAfterForging(forged, created: created, emulator: emulator, url: url, payloads: payloads)
            guard case .done = trusted else { Issue.record("the control case was not verified: \(trusted)"); return }
        }
    }

    @Test func whatAMomentFileMustBeToBeRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let payloads = directory.path("payloads")
        try FileManager.default.createDirectory(atPath: payloads, withIntermediateDirectories: false)
        let path = payloads + "/" + AppliedMoments.name(label: "jamf-intune", keyID: Sample.keyID)
        let moment = Date(timeIntervalSince1970: 1_796_032_800.5)
        #expect(AppliedMoments.read(path) == .none)
        try Self.writeMoment(moment, in: payloads)
        #expect(AppliedMoments.read(path) == .recorded(moment))
        for tampering in Tampering.possible {
            try Self.writeMoment(moment, in: payloads, tampering: tampering)
            guard case .untrusted = AppliedMoments.read(path) else { Issue.record("\(tampering) was read"); continue }
        }
        for content in ["yesterday\n", String(repeating: "2", count: 200), ""] {
            try? FileManager.default.removeItem(atPath: path)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(content.utf8), attributes: [.posixPermissions: 0o600]))
            guard case .untrusted = AppliedMoments.read(path) else { Issue.record("\(content.prefix(20)) was read"); continue }
        }
        // A FIFO planted under the name is refused at once, not waited on.
        try? FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0)
        guard case .untrusted = AppliedMoments.read(path) else { Issue.record("a FIFO was read"); return }
    }
}

import Foundation
import ProcessHarness
import Testing

/// `secrets` links no HTTP client; `rotate` and `rollback` run in `secrets-rotate`, found next to
/// it (README, Installing).
@Suite("secrets and secrets-rotate")
struct NetworkExecutableTests {
    /// The shared libraries `binary` asks for, as `ldd` lists them.
    private func sharedLibraries(of binary: String) throws -> String {
        let ldd = try ProcessRunner.run("/usr/bin/ldd", arguments: [binary], timeout: Tools.timeout)
        try #require(ldd.succeeded, "\(ldd)")
        return ldd.output
    }

    @Test("secrets loads no libcurl; secrets-rotate does")
    func onlyTheHelperLinksCurl() throws {
        let secrets = try Tools.secrets()
        let helper = (secrets as NSString).deletingLastPathComponent + "/secrets-rotate"
        #expect(!(try sharedLibraries(of: secrets)).contains("libcurl"))
        #expect(try sharedLibraries(of: helper).contains("libcurl"))
    }

    @Test("without secrets-rotate, rotate and rollback exit 66 saying where they looked; the rest works")
    func missingHelper() throws {
        let sandbox = try Sandbox("lone-binary")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("alpha")
        try sandbox.addSecret("alpha", value: Sandbox.secretValue())
        // A copy of `secrets` alone in a directory of its own.
        let lone = sandbox.directory.path("bin")
        try FileManager.default.createDirectory(atPath: lone, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: sandbox.binary, toPath: lone + "/secrets")
        func run(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(lone + "/secrets", arguments: arguments, environment: sandbox.environment, timeout: Sandbox.timeout)
        }
        for arguments in [["rotate", "alpha", "--force"], ["rotate", "--due"], ["rollback", "alpha", "--yes"]] {
            let result = try run(arguments)
            #expect(result.exitStatus == 66, "\(arguments): \(result)")
            #expect(result.errorOutput.contains("needs secrets-rotate"), "\(result)")
            #expect(result.errorOutput.contains(lone + "/secrets-rotate"), "\(result)")
            Sandbox.expectOneLineError(result)
        }
        // Everything that needs no network still works from the lone copy.
        #expect(try run(["rotate", "--due", "--dry-run"]).exitStatus == 0)
        #expect(try run(["list"]).exitStatus == 0)
        #expect(try run(["verify"]).exitStatus == 0)
    }

    @Test("through secrets, rotate runs in secrets-rotate with the same arguments and the same messages")
    func handsOver() throws {
        let sandbox = try Sandbox("hand-over")
        defer { sandbox.remove() }
        try sandbox.initVault()
        try sandbox.addApp("alpha")
        // The entra-id issuer without a rotator is a misconfiguration only the network side reports.
        try sandbox.succeed(["app", "edit", "alpha", "--issuer", "entra-id"])
        let result = try sandbox.run(["rotate", "alpha", "--force"])
        #expect(result.exitStatus == 1, "\(result)")
        #expect(result.errorOutput.contains("names no rotator"), "\(result)")
        #expect(result.errorOutput.contains("secrets: "), "\(result)")
    }
}

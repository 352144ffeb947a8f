import Foundation
import Testing

/// Mistakes on the command line caught while the arguments are parsed, before a command runs:
/// one `secrets: ` line naming the flag, exit 64 (3 for `expiring`).
@Suite("Argument errors")
struct ArgumentErrorTests {
    private func makeVault(_ name: String) throws -> Sandbox {
        let sandbox = try Sandbox(name)
        try sandbox.initVault()
        try sandbox.addApp("jamf-intune")
        try sandbox.addSecret("jamf-intune", value: Sandbox.secretValue())
        return sandbox
    }

    /// OpenSSL's set-up runs on a thread of its own from the start (OpenSSLWarmUp): a command
    /// that ends before it does must still exit as it means to, never on a signal at exit.
    @Test("--version, --help and a bad command exit cleanly every time, however early")
    func earlyExitsAreClean() throws {
        let sandbox = try Sandbox("arguments-early-exit")
        defer { sandbox.remove() }
        for (arguments, status) in [(["--version"], Int32(0)), (["--help"], 0), (["bogus"], 64)] {
            for _ in 0..<15 {
                let result = try sandbox.run(arguments)
                #expect(result.exitedNormally && result.exitStatus == status, "\(arguments): \(result)")
                #expect(!result.standardOutput.isEmpty || status != 0, "\(arguments) printed nothing")
            }
        }
    }

    /// For a monitoring system every failure of `expiring`, even a bad --days, is "could not check" (3).
    @Test("expiring exits 3 for arguments it cannot parse", arguments: [["--days", "soon"], ["--format", "xml"], ["--bogus"]])
    func expiringUnparsableArguments(_ arguments: [String]) throws {
        let sandbox = try makeVault("arguments-expiring")
        defer { sandbox.remove() }
        let result = try sandbox.run(["expiring"] + arguments)
        #expect(result.exitedNormally && result.status != 0, "\(result)")
        #expect(result.exitStatus == 3, "\(result)")
    }

    /// Errors are one `secrets: ` line, argument-parser's own included.
    @Test("an unknown option or a missing argument is one `secrets:` line with 64",
          arguments: [["list", "--bogus"], ["app", "add"], ["export"], ["recipients", "add", "age1x", "--role", "owner"]])
    func parserErrorsAreOneLine(_ arguments: [String]) throws {
        let sandbox = try makeVault("arguments-one-line")
        defer { sandbox.remove() }
        let result = try sandbox.run(arguments)
        #expect(result.exitStatus == 64, "\(result)")
        #expect(result.standardOutput.isEmpty)
        Sandbox.expectOneLineError(result)
    }

    /// The README: for 64 "the message names the flag".
    @Test("a bad --issuer or --state is named as the flag")
    func flagNamedInMessage() throws {
        let sandbox = try makeVault("arguments-flag-names")
        defer { sandbox.remove() }
        let issuer = try sandbox.run(
            ["app", "add", "other", "--app-id", Sandbox.guid(), "--tenant", "contoso.onmicrosoft.com", "--issuer", "azure"])
        let state = try sandbox.run(["secret", "add", "jamf-intune", "--expires", "90d", "--state", "retired"], stdin: "a-new-value-1234")
        for (result, flag) in [(issuer, "--issuer"), (state, "--state")] {
            #expect(result.exitStatus == 64, "\(result)")
            Sandbox.expectOneLineError(result)
            #expect(result.errorOutput.contains("invalid \(flag)"), "\(result)")
        }
    }
}

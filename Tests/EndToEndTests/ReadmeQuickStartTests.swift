import Foundation
import ProcessHarness
import Testing

/// The README's Quick start, run from the README's own code block (issue 14), with the
/// extractor of ``ReadmeWalkthroughTests``: every command must exit 0. Two substitutions, both
/// said here: the block's first two lines (a release build, and putting it on the PATH) become
/// no-ops, since the test runs the build under test, first on the PATH; and the secret's expiry
/// date becomes one 180 days ahead, so that the test does not depend on the day it runs.
@Suite("the README's Quick start", .serialized)
struct ReadmeQuickStartTests {
    static let heading = "## Quick start"

    @Test("the Quick start runs as written: init with a passphrase, app add, secret add, list, expiring, rotate --dry-run")
    func quickStart() throws {
        let root = JamfIntuneRotationTests.repositoryRoot
        var readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let ahead = Date().addingTimeInterval(180 * 86_400).formatted(.iso8601.year().month().day())
        readme = readme.replacingOccurrences(of: "--expires 2027-05-31", with: "--expires \(ahead)")
        let (body, checks, blocks) = try ReadmeWalkthroughTests.script(fromReadme: readme, heading: Self.heading)
        #expect(blocks == 1, "the Quick start should have one sh block")
        let lines = body.components(separatedBy: "\n")
        let build = try #require(lines.firstIndex { $0.hasPrefix("swift build -c release") }, "the Quick start no longer builds first")
        let path = try #require(lines.firstIndex { $0.hasPrefix("export PATH=\"$PWD/.build/release:$PATH\"") })
        #expect((build, path) == (0, 2), "the build and the PATH line should open the block: \(lines.prefix(4))")
        var script = lines
        script[build] = ":"
        script[path] = ":"
        for step in ["secrets init", "secrets app add jamf-intune", "secrets secret add", "secrets list", "secrets expiring", "secrets rotate --due --dry-run"] {
            #expect(body.contains(step), "the Quick start should show \(step)")
        }

        let sandbox = try Sandbox("readme-quickstart")
        defer { sandbox.remove() }
        let passphrase = try sandbox.directory.write("a quick start passphrase\n", to: "passphrase.txt", mode: 0o600)
        let status = sandbox.directory.path("status.txt")
        let file = sandbox.directory.path("quickstart.sh")
        let prologue = """
            set -o pipefail
            cd '\(root.replacingOccurrences(of: "'", with: "'\\''"))'
            __check() { printf '%s %s %s\\n' "$3" "$2" "$1" >> "$WALK_STATUS"; }
            """
        try (prologue + "\n" + script.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let binaries = (try Tools.secrets() as NSString).deletingLastPathComponent
        var environment = sandbox.environment
        environment["PATH"] = [binaries, environment["PATH"] ?? "/usr/bin:/bin"].joined(separator: ":")
        environment["WALK_STATUS"] = status
        // The person's passphrase, typed at init and at every command, comes from a file here.
        environment["SECRETS_PASSPHRASE_FILE"] = passphrase
        let secret = Sandbox.secretValue()
        let result = try ProcessRunner.run("/bin/bash", arguments: [file], input: Data(secret.utf8), environment: environment, timeout: 180)

        #expect(result.exitStatus == 0, "\(result)")
        let ran = ReadmeWalkthroughTests.recordedChecks(at: status)
        #expect(ran.map(\.0) == checks, "every command should have run, once, in order: \(result)")
        for (check, actual) in ran where actual != check.expected {
            Issue.record("README.md line \(check.line) exited \(actual), the Quick start says \(check.expected): \(result)")
        }
        #expect(result.output.contains("OK: nothing expires within 30 days"), "\(result)")
        #expect(result.output.contains("jamf-intune"), "\(result)")
        #expect(!result.output.contains(secret) && !result.errorOutput.contains(secret), "the secret was printed")
        // The identity is the passphrase-protected one the Quick start made.
        let identity = try sandbox.directory.read("identity.txt").prefix(21)
        #expect(String(decoding: identity, as: UTF8.self) == "age-encryption.org/v1")
    }
}

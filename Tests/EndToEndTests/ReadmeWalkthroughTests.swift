import Foundation
import ProcessHarness
import Testing

/// The README's "Walkthrough: Jamf Pro + Intune", run from the README's own code blocks, so the
/// two cannot drift apart: every ```sh block of that section, in order, in one bash, from the
/// repository's root, with the built `secrets` first on the PATH and `secrets-emulator` (which
/// the walkthrough itself starts) beside it. Each command line must exit 0, or the N of a
/// `# exits N` comment on it; the key lines of its output must be there.
@Suite("the README's Jamf Pro + Intune walkthrough", .serialized)
struct ReadmeWalkthroughTests {
    static let heading = "### Walkthrough: Jamf Pro + Intune"

    /// One command of the walkthrough that the script checks: its README line and exit status.
    struct Check: Equatable {
        var line: Int
        var expected: Int
    }

    /// The section's `sh` blocks as one bash script, each command followed by a check of its exit
    /// status, written as `__check $? EXPECTED README-LINE`.
    ///
    /// A command starts at a line that is not indented, blank or a comment, and runs on over lines
    /// ending in `\`. Loops, conditionals, function definitions and background jobs are not
    /// checked: their status is not the walkthrough's result.
    static func script(fromReadme text: String, heading: String = heading) throws -> (script: String, checks: [Check], blocks: Int) {
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == heading }, "README has no \(heading)")
        var body: [String] = []
        var checks: [Check] = []
        var blocks = 0
        var inFence = false, inShell = false
        var command: [(line: Int, text: String)] = []
        for index in (start + 1)..<lines.count {
            let line = lines[index]
            if line.hasPrefix("```") {
                if inFence {
                    inFence = false
                    inShell = false
                } else {
                    inFence = true
                    inShell = line.trimmingCharacters(in: .whitespaces) == "```sh"
                    if inShell { blocks += 1 }
                }
                continue
            }
            if !inFence, line.hasPrefix("#") { break }  // the next heading ends the section
            guard inShell else { continue }
            body.append(line)
            let starts = !line.isEmpty && !line.hasPrefix("#") && !(line.first?.isWhitespace ?? true)
            guard !command.isEmpty || starts else { continue }
            command.append((index + 1, line))
            if line.hasSuffix("\\") { continue }
            let first = command[0].text
            let code = first.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? first
            let word = first.split(separator: " ").first.map(String.init) ?? ""
            if !["for", "while", "until", "if", "case"].contains(word), !first.contains("() {"),
               !code.trimmingCharacters(in: .whitespaces).hasSuffix("&") {
                let all = command.map(\.text).joined(separator: " ")
                let expected = all.range(of: #"# exits (\d+)"#, options: .regularExpression).map {
                    Int(all[$0].dropFirst("# exits ".count)) ?? -1
                } ?? 0
                let check = Check(line: command[0].line, expected: expected)
                checks.append(check)
                body.append("__check $? \(check.expected) \(check.line)")
            }
            command = []
        }
        return (body.joined(separator: "\n"), checks, blocks)
    }

    /// What the script's `__check` calls wrote to `path`: each checked command and its exit status.
    static func recordedChecks(at path: String) -> [(Check, Int)] {
        let recorded = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return recorded.split(separator: "\n").compactMap { entry -> (Check, Int)? in
            let fields = entry.split(separator: " ").compactMap { Int($0) }
            guard fields.count == 3 else { return nil }
            return (Check(line: fields[0], expected: fields[1]), fields[2])
        }
    }

    @Test("the walkthrough runs as written against secrets-emulator: every exit status and key line as the README says")
    func walkthrough() throws {
        let root = JamfIntuneRotationTests.repositoryRoot
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let (body, checks, blocks) = try Self.script(fromReadme: readme)
        #expect(blocks >= 3, "the walkthrough's sh blocks were not found")
        for step in ["secrets-emulator", "secrets rotate --due", "--confirm-deployed", "--retire-now", "SECRETS_GRAPH_ENDPOINT"] {
            #expect(body.contains(step), "the walkthrough should show \(step)")
        }

        let sandbox = try Sandbox("readme-walkthrough")
        defer { sandbox.remove() }
        let status = sandbox.directory.path("status.txt")
        let script = sandbox.directory.path("walkthrough.sh")
        let quotedRoot = "'" + root.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let prologue = """
            set -o pipefail
            cd \(quotedRoot)
            __check() { printf '%s %s %s\\n' "$3" "$2" "$1" >> "$WALK_STATUS"; }
            trap 'kill $(jobs -p) 2>/dev/null' EXIT
            """
        try (prologue + "\n" + body + "\n").write(toFile: script, atomically: true, encoding: .utf8)

        // The binary under test first; secrets-emulator from beside it, else from this build.
        let binaries = (try Tools.secrets() as NSString).deletingLastPathComponent
        var environment = sandbox.environment
        environment["PATH"] = [binaries, root + "/.build/debug", environment["PATH"] ?? "/usr/bin:/bin"].joined(separator: ":")
        environment["TMPDIR"] = sandbox.directory.path
        environment["WALK_STATUS"] = status
        for name in ["SECRETS_VAULT", "SECRETS_IDENTITY"] { environment[name] = nil }  // the walkthrough sets its own
        let started = Date()
        // GNU timeout signals its whole process group, the emulator the walkthrough started
        // included, so a hung walkthrough leaves no server holding the output pipes open.
        let result = try ProcessRunner.run(
            "/usr/bin/timeout", arguments: ["-k", "5", "180", "/bin/bash", script], environment: environment, timeout: 240)
        let seconds = Date().timeIntervalSince(started)

        #expect(result.exitStatus == 0, "\(result)")
        let ran = Self.recordedChecks(at: status)
        #expect(ran.map(\.0) == checks, "every checked command should have run, once, in order; ran \(ran.count) of \(checks.count): \(result)")
        for (check, actual) in ran where actual != check.expected {
            Issue.record("README.md line \(check.line) exited \(actual), the walkthrough says \(check.expected): \(result)")
        }

        let output = result.output + result.errorOutput
        for line in [
            "NEEDS A PERSON: jamf-pro-intune",                   // the dry run's plan says who acts
            "then WAIT for a person (exit 75)",
            "1 app(s): 0 done, 0 failed, 1 waiting for a person", // rotate --due stops for the person
            "Microsoft Entra tenant name",                        // the runbook
            "you confirmed key",                                  // --confirm-deployed
            "New secret: secrets:<rotation id> Jamf Pro Intune",  // app show: the description
        ] {
            #expect(output.contains(line), "the walkthrough's output should contain \"\(line)\": \(result)")
        }
        #expect(output.contains(" retired "), "app show should list the old secret as retired: \(result)")
        #expect(seconds < 120, "the walkthrough took \(Int(seconds)) s; it is meant to take well under a minute")
    }

    @Test("the extractor checks each command once, reads `# exits N`, and leaves loops, functions and jobs unchecked")
    func extractor() throws {
        let readme = """
            # Title
            \(Self.heading)
            text
            ```sh
            # a comment
            secrets one \\
                --two             # exits 75
            for _ in 1 2; do true; done
            f() { true; }
            server &
            x=$(true)
            ```
            ```text
            not run
            ```
            ## Next
            ```sh
            not in the section
            ```
            """
        let (script, checks, blocks) = try Self.script(fromReadme: readme)
        #expect(blocks == 1)
        #expect(checks == [Check(line: 6, expected: 75), Check(line: 11, expected: 0)])
        #expect(!script.contains("not run") && !script.contains("not in the section"))
        #expect(script.contains("__check $? 75 6\n") && script.hasSuffix("__check $? 0 11"))
    }
}

import Foundation
import ProcessHarness
import Testing

/// An apply command that records what a hook can see of itself and of the `secrets` process that
/// started it, then passes its stdin on to the Jamf Pro emulator as `apply-to-emulator.sh` does.
///
/// Per run it writes, under `probe/` in the sandbox: its own argv and environment, those of its
/// parent (`/bin/sh -c …`), and the argv, environment and `/proc/<pid>/limits` of the nearest
/// ancestor named `secrets…` — a live `secrets` process holding an unlocked vault. The secret
/// itself only passes through the pipe from stdin to curl; the probe never writes it anywhere.
struct HygieneProbe {
    let directory: String
    let script: String

    /// Writes the probe script into `sandbox`'s directory.
    init(in sandbox: Sandbox) throws {
        directory = sandbox.directory.path("probe")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let text = """
            #!/bin/sh
            set -eu
            dir='\(directory)'
            run="$dir/$(date +%s%N)-$$"
            mkdir "$run"
            tr '\\0' '\\n' < /proc/$$/cmdline > "$run/self.cmdline"
            tr '\\0' '\\n' < /proc/$$/environ > "$run/self.environ"
            tr '\\0' '\\n' < /proc/$PPID/cmdline > "$run/parent.cmdline"
            tr '\\0' '\\n' < /proc/$PPID/environ > "$run/parent.environ"
            pid=$PPID
            while [ "$pid" -gt 1 ]; do
                case "$(cat /proc/$pid/comm)" in secrets*) break ;; esac
                pid=$(awk '{print $4}' /proc/$pid/stat)
            done
            echo "$pid" > "$run/secrets.pid"
            tr '\\0' '\\n' < /proc/$pid/cmdline > "$run/secrets.cmdline"
            tr '\\0' '\\n' < /proc/$pid/environ > "$run/secrets.environ"
            cat /proc/$pid/limits > "$run/secrets.limits"
            exec curl -sS --fail-with-body --max-time 30 -X PUT -H 'Content-Type: application/json' \\
                --data-binary @- "$1/_emulator/intune-integration"

            """
        script = try sandbox.directory.write(text, to: "probe.sh", mode: 0o700)
    }

    /// One recorded run: file name → contents.
    typealias Run = [String: String]

    /// Every run recorded so far.
    func runs() throws -> [Run] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return try names.map { name in
            let folder = (directory as NSString).appendingPathComponent(name)
            var run: Run = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
                run[file] = try String(contentsOfFile: (folder as NSString).appendingPathComponent(file), encoding: .utf8)
            }
            return run
        }
    }
}

/// Looks for secret values in bytes, reporting which one (by name, never by value) was found.
struct LeakScanner {
    private var needles: [(name: String, bytes: Data)] = []

    /// Adds `value` under `name`; empty values are ignored.
    mutating func add(_ name: String, _ value: String) {
        guard !value.isEmpty else { return }
        needles.append((name, Data(value.utf8)))
    }

    /// How many values are searched for.
    var count: Int { needles.count }

    /// The names of the values `data` contains.
    func found(in data: Data) -> [String] {
        needles.filter { data.range(of: $0.bytes) != nil }.map(\.name)
    }

    /// ``found(in:)`` for text.
    func found(in text: String) -> [String] { found(in: Data(text.utf8)) }
}

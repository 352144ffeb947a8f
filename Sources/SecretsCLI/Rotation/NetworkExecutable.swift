import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds `secrets-rotate` and replaces this process with it.
///
/// It is looked for next to the running executable (symbolic links resolved), then in
/// `../libexec/secrets/` as packagers install helpers. The arguments are passed on unchanged
/// (they never hold a secret), so the helper parses the same command line and its messages name
/// `secrets` as the user typed it.
enum NetworkExecutable {
    /// The helper's file name.
    static let name = "secrets-rotate"

    /// Where the helper may be, in the order they are tried.
    static func candidates() -> [String] {
        guard let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() else { return [] }
        let directory = executable.deletingLastPathComponent()
        return [
            directory.appendingPathComponent(name).path,
            directory.deletingLastPathComponent().appendingPathComponent("libexec/secrets/\(name)").path,
        ]
    }

    /// Replaces the process with the helper; returns only by throwing when there is none or it
    /// cannot be started.
    static func replaceProcess() throws -> Never {
        let candidates = candidates()
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw CLIError.noInput(
                "this command needs \(name), which was not found (looked for \(candidates.joined(separator: " and "))); install it next to secrets (see README, Installing)")
        }
        fflush(nil)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(path, arguments)
        let reason = String(cString: strerror(errno))
        throw CLIError(description: "cannot start \(path): \(reason)", code: ExitStatus.unavailable)
    }
}

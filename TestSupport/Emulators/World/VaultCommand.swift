/// One `secrets` command that builds a world's vault: its arguments after `secrets`, and what
/// it reads on stdin (a secret value), if anything.
public struct VaultCommand: Sendable, Codable, Equatable {
    /// The arguments after `secrets`; never a secret.
    public let arguments: [String]
    /// What the command reads on stdin (a secret value), if anything.
    public let standardInput: String?

    /// A command with these arguments and, when given, this input.
    public init(_ arguments: [String], standardInput: String? = nil) {
        self.arguments = arguments
        self.standardInput = standardInput
    }

    /// The command as one line of bash: `secrets ARG…`, or `printf '%s' VALUE | secrets ARG…`.
    public var shellLine: String {
        let command = (["secrets"] + arguments.map(Self.shellWord)).joined(separator: " ")
        guard let standardInput else { return command }
        return "printf '%s' \(Self.shellWord(standardInput)) | \(command)"
    }

    /// `word` as bash reads it back: bare when it is only safe characters, else single-quoted.
    static func shellWord(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-")
        if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

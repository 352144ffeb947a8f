import ArgumentParser

/// The `secrets` command: keeps client secrets encrypted at rest and rotates them before they expire.
public struct SecretsCommand: ParsableCommand {
    /// The version `secrets --version` prints.
    public static let version = "0.1.0"

    /// Names the command, its abstract, and its version for argument-parser.
    public static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Keep client secrets encrypted at rest, know when they expire, and rotate them safely.",
        version: version
    )

    /// Creates the command; argument-parser calls this before filling in options.
    public init() {}
}

import ArgumentParser
import ClientSecrets
import Foundation
import Rotation

/// How long `rotate` waits for a Jamf Pro canary, and how long it keeps a previous secret that
/// is still in use: `--jamf-canary-wait` and `--usage-grace`.
struct RotationTuningOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "How long verify waits for a Jamf Pro canary computer to send inventory after the new secret was applied (0: read once). Default 3m.",
        valueName: "duration"))
    var jamfCanaryWait: String?

    @Option(name: .long, help: ArgumentHelp(
        "How much longer than its overlap a previous Entra ID secret that is still signing in is kept before it is retired anyway. Default 7d.",
        valueName: "duration"))
    var usageGrace: String?

    func validate() throws {
        _ = try resolved()
    }

    /// The values, defaults filled in.
    func resolved() throws -> RotationTuning {
        var tuning = RotationTuning()
        if let jamfCanaryWait {
            tuning.jamfCanaryWait = try Self.duration(jamfCanaryWait, option: "--jamf-canary-wait", maximum: 3_600)
        }
        if let usageGrace {
            tuning.usageGrace = try Self.duration(usageGrace, option: "--usage-grace", maximum: 365 * 86_400)
        }
        return tuning
    }

    /// A duration (`0`, `90s`, `3m`, `7d`) of at most `maximum` seconds, or a usage error.
    static func duration(_ text: String, option: String, maximum: TimeInterval) throws -> TimeInterval {
        if text == "0" { return 0 }
        let seconds: TimeInterval
        do {
            seconds = try DurationParser.parse(text, field: option)
        } catch {
            throw ValidationError("\(option): \"\(text.prefix(32))\" is not a duration (examples: 0, 90s, 3m, 7d)")
        }
        guard seconds <= maximum else {
            throw ValidationError("\(option) may be at most \(DurationParser.format(maximum))")
        }
        return seconds
    }
}

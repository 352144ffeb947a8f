// secrets-emulator: runs the loopback emulators the tests use, for demos and manual testing.
//
//     secrets-emulator [--port N] [--entra-only] [--jamf-report-on-save]
//
// Prints one line per emulator, `<name> <base URL>` (for example `entra http://127.0.0.1:50123`,
// then `jamf http://127.0.0.1:50124`; the Jamf Pro emulator checks the Intune integration's
// secret against the Entra ID one),
// then runs until SIGINT or SIGTERM. `--port N` puts the first emulator on port N and each further
// one on the next port; without it every emulator gets a free port. `--entra-only` starts the
// Entra ID emulator alone. `--jamf-report-on-save` makes every emulated Mac send an inventory
// report half a second after the Intune integration is saved, as if the apply command also ran `jamf recon`
// on it (otherwise: `POST /_emulator/computers/{id}/report`). Each emulator is configured through
// its control API (see TestSupport/Emulators/Entra/EntraControlAPI.swift for Entra ID,
// TestSupport/Emulators/JamfPro/JamfProEmulator.swift for Jamf Pro). The emulated Jamf Pro signs in
// to the emulated Entra ID with the secret it holds whenever it tests or uses the integration, so
// Graph's credential sign-in report shows which secret Jamf Pro uses. `POST /_emulator/world` on the
// Entra ID emulator seeds the shared test world in both (TestSupport/Emulators/World/WorldPlan.swift).
import Dispatch
import Emulators
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Options {
    var port: UInt16?
    var entraOnly = false
    var jamfReportOnSave = false

    static let usage = "usage: secrets-emulator [--port N] [--entra-only] [--jamf-report-on-save]"

    init(arguments: [String]) throws(UsageError) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--port":
                guard let value = remaining.popFirst(), let port = UInt16(value), port > 0 else {
                    throw UsageError(message: "--port needs a port number between 1 and 65535")
                }
                self.port = port
            case "--entra-only":
                entraOnly = true
            case "--jamf-report-on-save":
                jamfReportOnSave = true
            case "-h", "--help":
                throw UsageError(message: nil)
            default:
                throw UsageError(message: "unknown argument '\(argument)'")
            }
        }
    }
}

struct UsageError: Error {
    var message: String?
}

/// SIGINT and SIGTERM as an async sequence: their default action is turned off and dispatch
/// sources watch them instead. Outside top-level code on purpose, so that the handlers are not
/// isolated to the main actor (they run on a dispatch queue).
final class TerminationSignals: @unchecked Sendable {
    /// The signals, as they arrive.
    let signals: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let numbers = [SIGINT, SIGTERM]
        let sources = numbers.map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        for (source, number) in zip(sources, numbers) {
            source.setEventHandler { continuation.yield(number) }
            source.resume()
        }
        self.signals = signals
        self.sources = sources
    }
}

/// Writes a line at once, unbuffered, even when stdout is a pipe (the caller reads the URLs from it).
func announce(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    if let message = error.message {
        FileHandle.standardError.write(Data("secrets-emulator: \(message)\n\(Options.usage)\n".utf8))
        exit(64)
    }
    announce(Options.usage)
    exit(0)
}

/// The port for the emulator at `index` in start order: consecutive from `--port`, or free ports.
func port(_ index: UInt16) -> UInt16 {
    options.port.map { $0 &+ index } ?? 0
}

// Stop on SIGINT/SIGTERM.
let termination = TerminationSignals()

var stops: [@Sendable () async -> Void] = []
do {
    // Entra ID: token endpoint + Microsoft Graph.
    let entra = EntraEmulator()
    let entraURL = try await entra.start(port: port(0))
    stops.append { await entra.stop() }

    // Jamf Pro: the API, plus the Intune integration's settings, which it tests against Entra ID on save.
    var jamf: (emulator: JamfProEmulator, url: String)?
    if !options.entraOnly {
        let emulator = JamfProEmulator(
            configuration: .init(reportOnSave: options.jamfReportOnSave),
            secretValidator: { _, appID, secret in await entra.signIn(appID: appID, secret: secret) })
        let jamfURL = try await emulator.start(port: port(1))
        stops.append { await emulator.stop() }
        jamf = (emulator, jamfURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
    }

    // The shared test world, seeded in both on request.
    let worldJamf = jamf
    let entraBase = entraURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    await entra.serveWorlds(EmulatedWorlds(entra: entra, entraURL: entraBase, jamf: worldJamf?.emulator, jamfURL: worldJamf?.url))

    // Announced last: a caller takes the lines to mean that every route, the world's included, answers.
    announce("entra \(entraURL.absoluteString)")
    if let worldJamf { announce("jamf \(worldJamf.url)") }
} catch {
    FileHandle.standardError.write(Data("secrets-emulator: \(error)\n".utf8))
    for stop in stops { await stop() }
    exit(69)
}

for await _ in termination.signals { break }
for stop in stops { await stop() }
exit(0)

import Emulators
import Foundation
import ProcessHarness
import Testing

/// Every `secrets` command, run with known secret values and the diagnostic log at its most
/// verbose (`SECRETS_LOG_LEVEL=trace`), against both emulators: no secret, passphrase or access
/// token may appear in stderr, in the log, in the audit log, in the vault's files, in an export,
/// in a redacted payload copy, in the argv or environment of `secrets` or of a hook it starts,
/// or on stdout except from `secret get` and `jamf payload --reveal`. Files are private (0600,
/// directories 0700) and a `secrets` process holding an unlocked vault writes no core dump.
@Suite("Secret hygiene", .serialized)
struct SecretHygieneTests {
    static let tenant = "contoso.onmicrosoft.com"

    @Test("every command at SECRETS_LOG_LEVEL=trace keeps every secret out of logs, outputs, files, argv and environments")
    func everyCommand() async throws {
        let entra = EntraEmulator(configuration: .init(replicationDelay: .milliseconds(300)))
        let entraURL = try await entra.start().absoluteString.trimmingSuffix("/")
        // The apply command also runs `jamf recon` on the canary: it reports right after each save.
        let jamf = JamfProEmulator(
            configuration: .init(reportOnSave: true), secretValidator: { _, appID, secret in await entra.accepts(appID: appID, secret: secret) })
        let jamfURL = try await jamf.start().absoluteString.trimmingSuffix("/")
        let sandbox = try Sandbox("hygiene")
        defer { sandbox.remove() }
        sandbox.setEnvironment([
            "SECRETS_ENTRA_LOGIN_ENDPOINT": entraURL, "SECRETS_GRAPH_ENDPOINT": entraURL, "SECRETS_LOG_LEVEL": "trace",
        ])
        let probe = try HygieneProbe(in: sandbox)

        // The values under watch: a known, unique one for the app this product exists for.
        let known = "HYGIENE-" + Sandbox.secretValue().dropFirst(8)
        let rotatorSecret = Sandbox.secretValue(), apiSecret = Sandbox.secretValue()
        let passphrase = "hygiene passphrase \(UUID().uuidString)", exportPassphrase = "export passphrase \(UUID().uuidString)"
        let rotatorID = Sandbox.guid(), intuneID = Sandbox.guid(), apiClientID = Sandbox.guid()
        // The rotator may read the tenant too: it serves as `sync`'s scanner.
        await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy", "Application.Read.All"])
        let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
        await entra.registerApplication(appID: intuneID, displayName: "Jamf Pro Intune", owners: [rotatorID])
        let oldKey = await entra.addSecret(appID: intuneID, value: known, expires: Date().addingTimeInterval(12 * 86_400))
        await jamf.registerAPIClient(clientID: apiClientID, secret: apiSecret, integrationID: "7")
        await jamf.addComputer(id: "42")

        // Set-up and the metadata commands.
        try sandbox.initVault()
        try sandbox.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", Self.tenant])
        try sandbox.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
        try sandbox.succeed([
            "app", "add", "jamf-api", "--app-id", apiClientID, "--tenant", "contoso.jamfcloud.com",
            "--issuer", "jamf-pro-api-client", "--jamf-url", jamfURL, "--jamf-integration-id", "7",
        ])
        try sandbox.addSecret("jamf-api", value: apiSecret, expires: "90d")
        try sandbox.succeed([
            "app", "add", "jamf-intune", "--app-id", intuneID, "--tenant", Self.tenant, "--issuer", "entra-id", "--rotator", "rotator",
            "--consumer", "jamf-pro-intune=\(jamfURL)", "--jamf-api-client", "jamf-api", "--jamf-canary", "42",
            "--apply-command", "\(probe.script) \(jamfURL)",
        ])
        try sandbox.addSecret("jamf-intune", value: known, expires: "12d", options: ["--key-id", oldKey])
        for arguments in [["app", "list"], ["app", "list", "--json"], ["app", "show", "jamf-intune"], ["app", "show", "jamf-intune", "--json"],
                          ["app", "edit", "jamf-intune", "--notes", "hygiene run", "--tag", "intune"], ["list"], ["list", "--json"]] {
            try sandbox.succeed(arguments)
        }
        for format in [["--format", "table"], ["--json"], ["--format", "prometheus"], ["--verify"]] {
            #expect(try sandbox.run(["expiring", "--days", "30"] + format).exitStatus == 1)
        }
        #expect(try sandbox.succeed(["secret", "get", "jamf-intune"]).standardOutput == Data(known.utf8))

        // The payload: redacted unless --reveal; written 0600 with -o.
        for format in ["json", "text"] {
            #expect(!(try sandbox.succeed(["jamf", "payload", "jamf-intune", "--format", format]).output.contains(known)))
            #expect(try sandbox.succeed(["jamf", "payload", "jamf-intune", "--format", format, "--reveal"]).output.contains(known))
        }
        try sandbox.succeed(["jamf", "payload", "jamf-intune", "-o", sandbox.directory.path("payload-redacted.json")])
        try sandbox.succeed(["jamf", "payload", "jamf-intune", "--reveal", "-o", sandbox.directory.path("payload-revealed.json")])
        #expect(try sandbox.directory.read("payload-revealed.json").range(of: Data(known.utf8)) != nil)
        // Jamf Pro starts out configured by hand with the old secret.
        try await JamfIntuneRotationTests.put(try sandbox.succeed(["jamf", "payload", "jamf-intune", "--reveal"]).standardOutput,
                                              to: jamfURL + "/_emulator/intune-integration")

        // Recipients, export and import (age file to a recipient, to a passphrase), Azure JSON.
        let readerKey = try Tools.generateKey(at: sandbox.directory.path("reader.txt"))
        try sandbox.directory.chmod("reader.txt", 0o600)
        try sandbox.succeed(["recipients", "add", readerKey, "--role", "reader", "--name", "monitoring"])
        try sandbox.succeed(["recipients", "list"])
        try sandbox.succeed(["recipients", "list", "--json"])
        try sandbox.succeed(["export", "--recipient", readerKey, "-o", sandbox.directory.path("export.age")])
        let exportPassphraseFile = try sandbox.directory.write(exportPassphrase + "\n", to: "export-passphrase.txt")
        try sandbox.succeed(["export", "--passphrase", "-o", sandbox.directory.path("export-passphrase.age")],
                            environment: ["SECRETS_EXPORT_PASSPHRASE_FILE": exportPassphraseFile])
        // The vault's own exports, whose rotator, consumers and apply command are actions to allow.
        try sandbox.succeed([
            "import", sandbox.directory.path("export.age"), "--decrypt-identity", sandbox.directory.path("reader.txt"), "--allow-actions",
        ])
        try sandbox.succeed(["import", sandbox.directory.path("export-passphrase.age"), "--json", "--allow-actions"],
                            environment: ["SECRETS_IMPORT_PASSPHRASE_FILE": exportPassphraseFile])
        let azureApp = Sandbox.guid()
        let azure = try sandbox.directory.write("""
            [{"appId": "\(azureApp)", "displayName": "from-azure", "passwordCredentials": [{"keyId": "\(Sandbox.guid())", \
            "hint": "Zq1", "displayName": "portal", "endDateTime": "2027-01-01T00:00:00Z", "startDateTime": "2026-01-01T00:00:00Z", \
            "secretText": null}]}]
            """, to: "azure.json")
        try sandbox.succeed(["import", "--from-azure", azure, "--tenant", Self.tenant])

        // Rotation against both emulators, through the probe as apply command; then rollback,
        // retire-now and the Jamf Pro API client's own regeneration.
        try await sandbox.succeedAsync(["rotate", "--due", "--dry-run"])
        let rotated = try await sandbox.succeedAsync(["rotate", "jamf-intune"])
        for label in ["secrets.entra", "secrets.jamf", "secrets.rotation", "secrets.command", "POST", "-> 200", "step"] {
            #expect(rotated.errorOutput.contains(label), "the trace log should show \(label): \(rotated.errorOutput.prefix(2000))")
        }
        let newSecret = try await sandbox.succeedAsync(["secret", "get", "jamf-intune"]).output
        #expect(newSecret != known && !newSecret.isEmpty)
        #expect(await jamf.configuredIntegration()?.secret == newSecret, "the apply command got the payload on stdin")
        try await sandbox.succeedAsync(["rollback", "jamf-intune", "--yes"])
        #expect(await jamf.configuredIntegration()?.secret == known)
        try await sandbox.succeedAsync(["rotate", "--retire-now", "jamf-intune", "--yes"])
        try await sandbox.succeedAsync(["rotate", "jamf-api", "--force"])
        let newAPISecret = try await sandbox.succeedAsync(["secret", "get", "jamf-api"]).output
        #expect(newAPISecret != apiSecret && !newAPISecret.isEmpty)

        // The whole tenant, as the rotator (a full read, then an incremental one), and the listings
        // that show what it found; the rekey below re-seals the kept delta link.
        try await sandbox.succeedAsync(["sync", "rotator"])
        try await sandbox.succeedAsync(["sync", "rotator", "--json"])
        for arguments in [["expiring", "--days", "400", "--type", "all", "--format", "prometheus"], ["list", "--type", "secret"]] {
            _ = try sandbox.run(arguments)
        }

        // Keys, the audit log, verification, the identity's passphrase.
        try sandbox.succeed(["rekey"])
        for arguments in [["log"], ["log", "--json"], ["log", "--app", "jamf-intune"], ["verify"], ["verify", "--json"]] {
            try sandbox.succeed(arguments)
        }
        let passphraseFile = try sandbox.directory.write(passphrase + "\n", to: "passphrase.txt")
        try sandbox.succeed(["passphrase"], environment: ["SECRETS_NEW_PASSPHRASE_FILE": passphraseFile])
        try expectNoCoreDumpsWhileUnlocking(sandbox, passphrase: passphrase)
        try sandbox.succeed(["passphrase", "--no-passphrase"], environment: ["SECRETS_PASSPHRASE_FILE": passphraseFile])
        try sandbox.succeed(["app", "remove", "from-azure", "--yes"])
        try sandbox.succeed(["recipients", "remove", readerKey])
        try sandbox.succeed(["verify"])

        var scanner = LeakScanner()
        for (name, value) in [("the known secret", known), ("the rotator's secret", rotatorSecret), ("the API client's secret", apiSecret),
                              ("the rotated secret", newSecret), ("the regenerated API client secret", newAPISecret),
                              ("the identity passphrase", passphrase), ("the export passphrase", exportPassphrase)] {
            scanner.add(name, value)
        }
        for token in await entra.issuedTokens() { scanner.add("an Entra ID access token", token) }
        for token in await jamf.issuedTokens() { scanner.add("a Jamf Pro access token", token) }
        #expect(scanner.count > 9, "the emulators should have issued tokens")
        try expectClean(sandbox, scanner: scanner)
        try expectProbeClean(probe, scanner: scanner)
        try expectPrivateFiles(sandbox, scanner: scanner)
        await jamf.stop()
        await entra.stop()
    }

    /// No run put a watched value in its argv or stderr (which holds the trace log), and only
    /// `secret get` and `jamf payload --reveal` to stdout printed one.
    private func expectClean(_ sandbox: Sandbox, scanner: LeakScanner) throws {
        #expect(sandbox.results.count > 45)
        for result in sandbox.results {
            let command = result.arguments.prefix(4).joined(separator: " ")
            #expect(result.arguments.allSatisfy { scanner.found(in: $0).isEmpty }, "argv of `\(command)` holds a secret")
            #expect(scanner.found(in: result.standardError).isEmpty, "stderr of `\(command)` holds \(scanner.found(in: result.standardError))")
            let mayReveal = result.arguments.starts(with: ["secret", "get"])
                || (result.arguments.starts(with: ["jamf", "payload"]) && result.arguments.contains("--reveal"))
            if !mayReveal {
                #expect(scanner.found(in: result.standardOutput).isEmpty, "stdout of `\(command)` holds \(scanner.found(in: result.standardOutput))")
            }
        }
    }

    /// The hook and its parents: argv and environment free of secrets (the payload came on
    /// stdin), no `SECRETS_*` variable but the four that describe the rotation, and the
    /// `secrets` process that ran it had core dumps off.
    private func expectProbeClean(_ probe: HygieneProbe, scanner: LeakScanner) throws {
        let runs = try probe.runs()
        #expect(runs.count >= 2, "the apply command should have run for the rotation and the rollback")
        let described: Set = ["SECRETS_APP_LABEL", "SECRETS_APP_ID", "SECRETS_KEY_ID", "SECRETS_ROTATION_ID"]
        for run in runs {
            for (file, text) in run {
                #expect(scanner.found(in: text).isEmpty, "\(file) of the apply command holds \(scanner.found(in: text))")
            }
            for file in ["self.environ", "parent.environ"] {
                let names = Set((run[file] ?? "").split(separator: "\n").map { String($0.prefix { $0 != "=" }) })
                #expect(names.filter { $0.hasPrefix("SECRETS_") } == described, "\(file): \(names.sorted())")
            }
            #expect(run["secrets.cmdline"]?.hasPrefix("/") == true && run["secrets.cmdline"]?.contains("secrets") == true, "\(run)")
            let core = run["secrets.limits"]?.split(separator: "\n").first { $0.hasPrefix("Max core file size") }
            #expect(core.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"] } == true,
                    "a secrets process holding an unlocked vault allows core dumps: \(core ?? "no limits")")
        }
    }

    /// Every file the runs left (vault, WAL, identity, exports, payload copies, lock files) is
    /// private and holds no watched value, except the payload written with --reveal.
    private func expectPrivateFiles(_ sandbox: Sandbox, scanner: LeakScanner) throws {
        let root = sandbox.directory.path
        let writtenByTest: Set = ["probe.sh", "reader.txt", "azure.json", "passphrase.txt", "export-passphrase.txt", "payload-revealed.json"]
        var seen: Set<String> = []
        let files = FileManager.default.enumerator(atPath: root)
        while let relative = files?.nextObject() as? String {
            if relative.hasPrefix("probe") { continue }
            let path = (root as NSString).appendingPathComponent(relative)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int ?? 0o777) & 0o777
            #expect(mode & 0o077 == 0, "\(relative) has mode \(String(mode, radix: 8))")
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            seen.insert((relative as NSString).lastPathComponent)
            if writtenByTest.contains(relative) { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(scanner.found(in: data).isEmpty, "\(relative) holds \(scanner.found(in: data))")
        }
        if sandbox.vaultOnServer {
            // The vault's rows are on the server: what it holds is scanned as an attacker reading it would.
            for (name, bytes) in try sandbox.storedBytes() {
                #expect(scanner.found(in: bytes).isEmpty, "\(name) holds \(scanner.found(in: bytes))")
            }
        }
        let vaultFile = sandbox.vaultOnServer ? [] : ["vault.sqlite"]
        for expected in vaultFile + ["identity.txt", "export.age", "export-passphrase.age", "payload-redacted.json", "payload-revealed.json"] {
            #expect(seen.contains(expected), "\(expected) was not written: \(seen.sorted())")
        }
        #expect(seen.contains { $0.hasSuffix(".json") && !$0.hasPrefix("payload-") }, "no redacted payload copy under payloads/: \(seen.sorted())")
    }

    /// A `secrets` process waiting for its passphrase already runs with core dumps off.
    private func expectNoCoreDumpsWhileUnlocking(_ sandbox: Sandbox, passphrase: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sandbox.binary)
        process.arguments = ["secret", "get", "jamf-intune", "--passphrase-stdin"]
        process.environment = sandbox.environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        Thread.sleep(forTimeInterval: 0.5)
        let limits = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
        #expect(core.split(separator: " ").dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
        input.fileHandleForWriting.write(Data((passphrase + "\n").utf8))
        try input.fileHandleForWriting.close()
        let value = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && !value.isEmpty, "secret get after the passphrase exited \(process.terminationStatus)")
    }
}

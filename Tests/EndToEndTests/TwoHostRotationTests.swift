import Emulators
import Foundation
import ProcessHarness
import TestPostgreSQL
import Testing

/// Two "hosts" (two processes, each with its own directory and identity file) sharing one vault
/// on PostgreSQL, as a team's rotation host and standby do: `rotate --due` from both at once
/// divides the apps between them and rotates every app exactly once, and a host killed mid-run
/// leaves the rest to the other, whether that one was already running or started afterwards.
@Suite("Two hosts, one vault on PostgreSQL", .enabled(if: TestPostgreSQLServer.url != nil, "no PostgreSQL test server (Scripts/postgres.sh)"))
struct TwoHostRotationTests {
    static let apps = 8

    /// The Entra ID emulator, a rotator and `apps` due Entra ID apps in a vault on the server;
    /// host B is a second admin with its own identity file.
    struct Hosts {
        let entra: EntraEmulator
        let a: Sandbox
        let b: Sandbox
        /// App label → app ID.
        let appIDs: [String: String]

        static func make(_ name: String) async throws -> Hosts {
            let entra = EntraEmulator()
            let url = try await entra.start().absoluteString.trimmingSuffix("/")
            await entra.setReplicationDelay(.milliseconds(200))
            let a = try Sandbox("\(name)-a", store: .postgresql)
            let b = try Sandbox("\(name)-b", store: .sqlite)  // its vault is A's, on the server
            let endpoints = ["SECRETS_ENTRA_LOGIN_ENDPOINT": url, "SECRETS_GRAPH_ENDPOINT": url]
            a.setEnvironment(endpoints)
            b.setEnvironment(endpoints.merging(["SECRETS_VAULT": a.vault]) { $1 })
            try a.initVault()
            let rotatorID = Sandbox.guid(), rotatorSecret = Sandbox.secretValue()
            await entra.registerApplication(appID: rotatorID, displayName: "rotator", roles: ["Application.ReadWrite.OwnedBy"])
            let rotatorKey = await entra.addSecret(appID: rotatorID, value: rotatorSecret, expires: Date().addingTimeInterval(300 * 86_400))
            try a.succeed(["app", "add", "rotator", "--app-id", rotatorID, "--tenant", "contoso.onmicrosoft.com"])
            try a.addSecret("rotator", value: rotatorSecret, expires: "300d", options: ["--key-id", rotatorKey])
            var appIDs: [String: String] = [:]
            for index in 0..<TwoHostRotationTests.apps {
                let label = "app-\(index)", appID = Sandbox.guid(), secret = Sandbox.secretValue()
                await entra.registerApplication(appID: appID, displayName: label, owners: [rotatorID])
                let key = await entra.addSecret(appID: appID, value: secret, expires: Date().addingTimeInterval(5 * 86_400))
                try a.succeed(["app", "add", label, "--app-id", appID, "--tenant", "contoso.onmicrosoft.com", "--issuer", "entra-id", "--rotator", "rotator"])
                try a.addSecret(label, value: secret, expires: "5d", options: ["--key-id", key])
                appIDs[label] = appID
            }
            // Host B: a second admin, with an identity file of its own.
            let recipient = try Tools.generateKey(at: b.identity)
            try a.succeed(["recipients", "add", recipient, "--role", "admin", "--name", "standby host"])
            return Hosts(entra: entra, a: a, b: b, appIDs: appIDs)
        }

        func remove() {
            a.remove()
            b.remove()
        }

        /// Every app's current secret in the vault works at Entra ID, no rotation is left open,
        /// and Entra ID holds at most `limit` secrets per app (each app rotated exactly once
        /// holds its old and its new one).
        func expectEveryAppRotatedOnce(limit: Int = 2, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for (label, appID) in appIDs.sorted(by: { $0.key < $1.key }) {
                let secrets = await entra.secrets(ofApp: appID)
                #expect(secrets.count == limit, "\(label) has \(secrets.count) secrets at Entra ID", sourceLocation: sourceLocation)
                let current = try await b.succeedAsync(["secret", "get", label]).output
                #expect(await entra.accepts(appID: appID, secret: current), "\(label)'s current secret does not work", sourceLocation: sourceLocation)
            }
            let plan = try await b.succeedAsync(["rotate", "--due", "--dry-run", "--json"]).output
            let entries = try #require(
                (try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [String: Any])?["dryRun"] as? [[String: Any]], "\(plan)")
            let open = entries.filter { ($0["rotate"] as? Bool) == true || !(($0["resume"] as? [Any]) ?? []).isEmpty }
            #expect(open.isEmpty, "still due or left open: \(open)", sourceLocation: sourceLocation)
            try await b.succeedAsync(["verify"])
        }
    }

    @Test("both hosts run rotate --due at once: they divide the apps, every app is rotated exactly once, both exit 0")
    func concurrentDue() async throws {
        let hosts = try await Hosts.make("two-hosts")
        defer { hosts.remove() }
        await hosts.entra.setLatency(.milliseconds(100))
        async let first = hosts.a.runAsync(Self.bothRun)
        async let second = hosts.b.runAsync(Self.bothRun)
        let (a, b) = try await (first, second)
        await hosts.entra.setLatency(.zero)
        #expect(a.exitStatus == 0, "\(a)")
        #expect(b.exitStatus == 0, "\(b)")
        let doneByA = try Self.rotated(a), doneByB = try Self.rotated(b)
        #expect(doneByA.isDisjoint(with: doneByB), "both hosts rotated \(doneByA.intersection(doneByB).sorted())")
        #expect(doneByA.union(doneByB) == Set(hosts.appIDs.keys), "rotated: A \(doneByA.sorted()), B \(doneByB.sorted())")
        #expect(!doneByA.isEmpty && !doneByB.isEmpty, "one host did everything: A \(doneByA.sorted()), B \(doneByB.sorted())")
        try await hosts.expectEveryAppRotatedOnce()
    }

    @Test("host B starts while A's rotations are under way: B leaves A's open rotations to A, resuming none of them; both exit 0")
    func secondHostLeavesLiveRotations() async throws {
        let hosts = try await Hosts.make("late-host")
        defer { hosts.remove() }
        // Every answer takes a second, so A's first rotations are open when B plans.
        await hosts.entra.setLatency(.milliseconds(1000))
        async let firstRun = hosts.a.runAsync(Self.bothRun)
        try await Task.sleep(nanoseconds: 2_500_000_000)
        let open = try await hosts.b.succeedAsync(["rotate", "--due", "--dry-run", "--json"]).output
        async let secondRun = hosts.b.runAsync(Self.bothRun)
        let (a, b) = try await (firstRun, secondRun)
        await hosts.entra.setLatency(.zero)
        let planned = try #require(
            (try JSONSerialization.jsonObject(with: Data(open.utf8)) as? [String: Any])?["dryRun"] as? [[String: Any]], "\(open)")
        #expect(planned.contains { !(($0["resume"] as? [Any]) ?? []).isEmpty }, "no rotation of A's was open when B planned: \(open)")
        #expect(a.exitStatus == 0, "\(a)")
        #expect(b.exitStatus == 0, "\(b)")
        // An open row is a host's work in progress while its claim is held: B taking it up would
        // run A's remaining steps a second time, beside A.
        let resumedByB = try Self.resumed(b)
        #expect(resumedByB.isEmpty, "B resumed rotations A was still running: \(resumedByB)")
        try await hosts.expectEveryAppRotatedOnce()
    }

    @Test("both hosts run rotate --due; A is SIGKILLed mid-run and B, still running, resumes what A left and finishes")
    func killedBesideRunningHost() async throws {
        let hosts = try await Hosts.make("killed-beside")
        defer { hosts.remove() }
        // Every answer takes 1.5 s, so A's rotations are under way when it is killed.
        await hosts.entra.setLatency(.milliseconds(1500))
        async let killedRun = hosts.a.runAsync(Self.bothRun, killAfter: 4)
        async let survivorRun = hosts.b.runAsync(Self.bothRun)
        let (killed, survivor) = try await (killedRun, survivorRun)
        await hosts.entra.setLatency(.zero)
        #expect(!killed.exitedNormally, "host A finished before the kill: \(killed)")
        #expect(survivor.exitStatus == 0, "\(survivor)")
        // B took up at least one rotation A had started, when A's death released it.
        #expect(try !Self.resumed(survivor).isEmpty, "B resumed nothing of A's: \(survivor)")
        try await hosts.expectEveryAppRotatedOnce()
    }

    /// What each host runs in the tests where both run at once: two apps at a time, so that
    /// neither can claim every app before the other starts.
    static let bothRun = ["rotate", "--due", "--concurrency", "2", "--json"]

    /// The apps whose open rows a `rotate --json` run resumed.
    static func resumed(_ result: ProcessResult) throws -> [String] {
        try results(result).filter { !(($0["resumed"] as? [Any]) ?? []).isEmpty }.compactMap { $0["label"] as? String }
    }

    /// The `apps` entries of `rotate --json`.
    static func results(_ result: ProcessResult) throws -> [[String: Any]] {
        try #require(
            (try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])?["apps"] as? [[String: Any]], "\(result)")
    }

    /// The apps a `rotate --json` run rotated (`done` with a new key).
    static func rotated(_ result: ProcessResult) throws -> Set<String> {
        Set(try results(result).filter { $0["status"] as? String == "done" && $0["newKeyId"] is String }.compactMap { $0["label"] as? String })
    }

    @Test("host A is SIGKILLed mid-run; host B, waiting for the lock, resumes and finishes the work")
    func killedHostResumed() async throws {
        let hosts = try await Hosts.make("killed-host")
        defer { hosts.remove() }
        // Every answer takes 1.5 s, so the rotations are under way when A is killed.
        await hosts.entra.setLatency(.milliseconds(1500))
        let started = Date()
        let killed = try await hosts.a.runAsync(["rotate", "--due"], killAfter: 4)
        #expect(!killed.exitedNormally, "host A finished before the kill: \(killed)")
        // The kill dropped A's connection, and with it the lock: B does not wait out its timeout.
        let resumed = try await hosts.b.runAsync(["rotate", "--due", "--wait", "60"])
        await hosts.entra.setLatency(.zero)
        #expect(resumed.exitStatus == 0, "\(resumed)")
        #expect(Date().timeIntervalSince(started) < 60)
        try await hosts.expectEveryAppRotatedOnce()
    }
}

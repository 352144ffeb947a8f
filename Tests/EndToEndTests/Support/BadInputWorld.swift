import Foundation
import ProcessHarness
import Testing

extension BadInputTests {
    /// What one row of the table adds to the standard vault, and the placeholders its arguments
    /// use: `{dir}`, `{guid}`, `{reader}` / `{readerKey}` (an age identity file and its
    /// recipient), `{foreign}` (another vault), `{junk}` (random bytes).
    struct World {
        let sandbox: Sandbox
        let setup: Setup
        let reader: String
        let readerKey: String
        /// Extra variables every later run needs to unlock the vault.
        private(set) var unlock: [String: String?] = [:]
        private(set) var wrongPassphraseFile: String?
        private var lockHolder: Process?

        init(sandbox: Sandbox, setup: Setup) throws {
            self.sandbox = sandbox
            self.setup = setup
            reader = sandbox.directory.path("reader.txt")
            readerKey = try Tools.generateKey(at: reader)
            try sandbox.directory.chmod("reader.txt", 0o600)
            switch setup {
            case .none:
                break
            case .reader:
                try sandbox.succeed(["recipients", "add", readerKey, "--role", "reader"])
            case .wrongPassphrase:
                let right = try sandbox.directory.write("the right passphrase\n", to: "passphrase.txt")
                wrongPassphraseFile = try sandbox.directory.write("a wrong passphrase\n", to: "wrong-passphrase.txt")
                try sandbox.succeed(["passphrase"], environment: ["SECRETS_NEW_PASSPHRASE_FILE": right])
                unlock = ["SECRETS_PASSPHRASE_FILE": right]
            case .foreignVault:
                try sandbox.succeed(["init", "--no-passphrase", "--vault", sandbox.directory.path("other.sqlite"),
                                     "--identity", sandbox.directory.path("other-identity.txt")])
            case .rotationLockHeld, .identityReadable:
                break  // see arm()
            case .junkFile:
                try sandbox.directory.write(Data((0..<4096).map { _ in UInt8.random(in: 0...255) }), to: "junk.bin")
            case .hangingConsumer:
                try sandbox.succeed(["app", "add", "hang", "--app-id", Sandbox.guid()] + BadInputTests.tenant + ["--consumer", "command=sleep 30"])
                try sandbox.addSecret("hang", value: Sandbox.secretValue(), expires: "5d")
            }
        }

        /// `argument` with its placeholders filled in.
        func expand(_ argument: String) -> String {
            argument
                .replacingOccurrences(of: "{dir}", with: sandbox.directory.path)
                .replacingOccurrences(of: "{guid}", with: Sandbox.guid())
                .replacingOccurrences(of: "{readerKey}", with: readerKey)
                .replacingOccurrences(of: "{reader}", with: reader)
                .replacingOccurrences(of: "{foreign}", with: sandbox.directory.path("other.sqlite"))
                .replacingOccurrences(of: "{junk}", with: sandbox.directory.path("junk.bin"))
        }

        /// Puts in place, right before the row runs, what would also stop the checks before it:
        /// the held lock, the readable identity.
        mutating func arm() throws {
            switch setup {
            case .rotationLockHeld: lockHolder = try Self.holdRotationLock(of: sandbox.vault)
            case .identityReadable: try sandbox.directory.chmod("identity.txt", 0o644)
            default: break
            }
        }

        /// Undoes ``arm()`` before the after-checks.
        mutating func restore() {
            finish()
            if case .identityReadable = setup { try? sandbox.directory.chmod("identity.txt", 0o600) }
        }

        /// Stops the lock holder, if any.
        mutating func finish() {
            if let holder = lockHolder, holder.isRunning {
                // SIGKILL, not terminate(): the child inherits the test thread's signal mask, in
                // which SIGTERM may be blocked, and then it slept out its full 60 s.
                kill(holder.processIdentifier, SIGKILL)
                holder.waitUntilExit()
            }
            lockHolder = nil
        }

        /// A python3 process holding `flock` on `<vault>.rotate-lock` (as a running `rekey`
        /// does), or for a vault on PostgreSQL a `psql` session holding its advisory lock, for at
        /// most 60 s; returns once the lock is held.
        private static func holdRotationLock(of vault: String) throws -> Process {
            let process = Process()
            if vault.hasPrefix("postgresql://") {
                process.executableURL = URL(fileURLWithPath: try Tools.psql())
                // ServerRotationLock's keys: "rota" and the vault's schema.
                process.arguments = [
                    vault, "-XAtq", "-c", "SELECT 'locked' FROM pg_advisory_lock(\(0x726F_7461), hashtext(current_schema()))",
                    "-c", "SELECT pg_sleep(60)",
                ]
            } else {
                process.executableURL = URL(fileURLWithPath: try Tools.python())
                process.arguments = ["-c", """
                    import fcntl, os, sys, time
                    f = open(os.path.realpath(sys.argv[1]) + '.rotate-lock', 'a')
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    print('locked', flush=True)
                    time.sleep(60)
                    """, vault]
            }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = output.fileHandleForReading.availableData
            guard String(decoding: line, as: UTF8.self).hasPrefix("locked") else {
                process.terminate()
                throw HarnessError("the helper could not take the rotation lock")
            }
            return process
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClientSecrets
import CryptoPrimitives
import Foundation
import Logging
import Rotation

/// Runs an administrator's command line (`/bin/sh -c COMMAND`) with a secret on its standard
/// input: the hook behind `command` consumers and Jamf Pro apply commands.
///
/// The secret travels only through stdin: never in the arguments (which every user of the
/// machine can read in `ps`) and never in the environment (which is inherited by everything the
/// command starts and ends up in crash reports). The environment the command sees is this
/// process's, minus every `SECRETS_*` variable — those can name the vault, the identity file or a
/// passphrase file — plus four non-secret ones that say what is being rotated:
/// `SECRETS_APP_LABEL`, `SECRETS_APP_ID`, `SECRETS_KEY_ID` and `SECRETS_ROTATION_ID`.
///
/// The command runs in a process group of its own, so that a timeout ends everything it started
/// (SIGTERM to the group, then SIGKILL after ``terminationGrace``). Its output is captured up to
/// ``outputLimit`` bytes per stream; the rest is read and dropped so the command never blocks on
/// a full pipe. The command starts with only stdin, stdout and stderr open: every other
/// descriptor of this process (a connection to the token endpoint, the vault's database, another
/// hook's pipes, whether or not someone marked it close-on-exec) is closed in the child.
public struct CommandRunner: Sendable {
    /// Seconds the command may run before it is stopped.
    public var timeout: TimeInterval
    /// Seconds between SIGTERM and SIGKILL when the command overstays.
    public var terminationGrace: TimeInterval
    /// Bytes of stdout and of stderr kept; the rest is discarded.
    public var outputLimit: Int
    /// The environment every command gets before the per-run variables are added, already
    /// stripped of `SECRETS_*`.
    public let baseEnvironment: [String: String]
    /// Where ``reportFailure(_:of:redacting:)`` shows a failed command's scrubbed output: one line
    /// each time, by default to this process's stderr. Never into the vault.
    public var failureOutput: @Sendable (String) -> Void

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - inheritedEnvironment: the environment to pass on (default: this process's); every
    ///     variable whose name starts with `SECRETS_` is removed from it.
    ///   - failureOutput: where a failed command's scrubbed output is shown (default: stderr).
    public init(
        timeout: TimeInterval = 120, terminationGrace: TimeInterval = 5, outputLimit: Int = 64 * 1024,
        inheritedEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        failureOutput: @escaping @Sendable (String) -> Void = CommandRunner.standardErrorLine
    ) {
        self.failureOutput = failureOutput
        self.timeout = timeout
        self.terminationGrace = terminationGrace
        self.outputLimit = outputLimit
        self.baseEnvironment = inheritedEnvironment.filter { !$0.key.uppercased().hasPrefix("SECRETS_") }
    }

    /// What the command is told about the rotation it serves, through its environment.
    public struct Context: Sendable, Hashable {
        /// The app's label (`SECRETS_APP_LABEL`).
        public var appLabel: String
        /// The app's client ID (`SECRETS_APP_ID`).
        public var appID: String
        /// The key id of the secret on stdin (`SECRETS_KEY_ID`).
        public var keyID: String
        /// The rotation, if this is one (`SECRETS_ROTATION_ID`, empty otherwise).
        public var rotationID: String?

        /// Creates a context.
        public init(appLabel: String, appID: String, keyID: String, rotationID: String?) {
            self.appLabel = appLabel
            self.appID = appID
            self.keyID = keyID
            self.rotationID = rotationID
        }

        /// The context of a delivery.
        public init(_ delivery: SecretDelivery) {
            self.init(appLabel: delivery.app.label, appID: delivery.app.appID, keyID: delivery.credential.keyID, rotationID: delivery.rotationID)
        }
    }

    /// How a command ended and what it wrote.
    public struct Result: Sendable {
        /// The exit status when the command exited by itself, else `nil`.
        public var exitStatus: Int32?
        /// The signal that ended the command, if one did.
        public var signal: Int32?
        /// True when the command overstayed ``CommandRunner/timeout`` and was stopped.
        public var timedOut: Bool
        /// The first ``CommandRunner/outputLimit`` bytes of stdout.
        public var standardOutput: Data
        /// The first ``CommandRunner/outputLimit`` bytes of stderr.
        public var standardError: Data
        /// Seconds from start to end.
        public var elapsed: TimeInterval

        /// Exited by itself with status 0.
        public var succeeded: Bool { exitStatus == 0 && !timedOut }

        /// How it ended, for messages: "exited with status 3", "was stopped after 30 s", ….
        public func ending(timeout: TimeInterval) -> String {
            if timedOut { return "did not finish within \(Int(timeout.rounded(.up))) s and was stopped" }
            if let exitStatus { return "exited with status \(exitStatus)" }
            return "was killed by signal \(signal ?? 0)"
        }
    }

    /// The environment the command gets for `context`.
    public func environment(for context: Context) -> [String: String] {
        var environment = baseEnvironment
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        // Escaped although the vault only takes checked values: a row written before those checks
        // (an issuer's key id stored unchecked) must not carry an escape code into a hook's logs.
        environment["SECRETS_APP_LABEL"] = TerminalText.neutralised(context.appLabel)
        environment["SECRETS_APP_ID"] = TerminalText.neutralised(context.appID)
        environment["SECRETS_KEY_ID"] = TerminalText.neutralised(context.keyID)
        environment["SECRETS_ROTATION_ID"] = TerminalText.neutralised(context.rotationID ?? "")
        return environment
    }

    /// Runs `command` with exactly the bytes of `input` on stdin, then end of file.
    ///
    /// Blocking work happens on a thread of its own. Cancelling the calling task stops the
    /// command as a timeout would (SIGTERM, then SIGKILL) and, once it has ended, throws
    /// `CancellationError`.
    /// - Throws: ``RotationFailure/consumerFailed(_:)`` when the command cannot be started.
    public func run(_ command: String, input: SecureBytes, context: Context) async throws -> Result {
        let job = Job(command: command, environment: environment(for: context), input: input, runner: self)
        let result = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, Error>) in
                Thread.detachNewThread {
                    continuation.resume(with: Swift.Result { try job.run() })
                }
            }
        } onCancel: {
            job.cancel()
        }
        if job.isCancelled { throw CancellationError() }
        return result
    }

    /// Text of `output` fit for a message: every form of each of `secrets` that ``SecretScrubber``
    /// matches replaced by `[redacted]` (before truncating, so that no prefix of a secret survives
    /// either), control characters turned into spaces, at most `limit` characters.
    public static func excerpt(_ output: Data, redacting secrets: [SecureBytes], limit: Int = 400) -> String {
        excerpt(output, scrubber: SecretScrubber(secrets: secrets), limit: limit)
    }

    /// ``excerpt(_:redacting:limit:)`` with a scrubber already made (one for both streams).
    public static func excerpt(_ output: Data, scrubber: SecretScrubber, limit: Int = 400) -> String {
        var bytes = [UInt8](output)
        defer { Cleanse.wipe(&bytes) }
        var scrubbed = scrubber.scrub(bytes)
        defer { Cleanse.wipe(&scrubbed) }
        let text = String(decoding: scrubbed, as: UTF8.self)
            .map { $0.isNewline || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } ? " " : $0 }
        let trimmed = String(text).trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "(no output)" }
        return trimmed.count > limit ? String(trimmed.prefix(limit)) + "…" : trimmed
    }

    /// Shows what a failed command printed and returns how it ended, for the error.
    ///
    /// The returned text is fixed — `NAME exited with status 3`, `… was killed by signal 9`,
    /// `… did not finish within 30 s and was stopped` — and holds nothing the command printed:
    /// it becomes the rotation journal's `lastError`, which is stored in the vault. What the
    /// command printed goes only to ``failureOutput`` (by default this process's stderr, where
    /// the administrator running the rotation sees it), as one `secrets: ` line with an excerpt
    /// of each stream, every form of each of `secrets` scrubbed out (see ``SecretScrubber``).
    public func reportFailure(_ result: Result, of name: String, redacting secrets: [SecureBytes]) -> String {
        let ending = "\(name) \(result.ending(timeout: timeout))"
        let scrubber = SecretScrubber(secrets: secrets)
        var line = "secrets: \(ending); its stderr: \(Self.excerpt(result.standardError, scrubber: scrubber))"
        if !result.standardOutput.isEmpty {
            line += "; its stdout: \(Self.excerpt(result.standardOutput, scrubber: scrubber))"
        }
        failureOutput(line)
        return ending
    }

    /// Writes one line to this process's stderr: the default ``failureOutput``.
    public static let standardErrorLine: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension CommandRunner {
    /// One run: the blocking spawn / poll / wait loop, with a flag the async side sets on cancel.
    private final class Job: @unchecked Sendable {
        let command: String
        let environment: [String: String]
        let input: SecureBytes
        let runner: CommandRunner
        private let lock = NSLock()
        private var cancelled = false

        init(command: String, environment: [String: String], input: SecureBytes, runner: CommandRunner) {
            self.command = command
            self.environment = environment
            self.input = input
            self.runner = runner
        }

        func cancel() { lock.withLock { cancelled = true } }
        var isCancelled: Bool { lock.withLock { cancelled } }

        /// A command that exits without reading its input must not kill this process with SIGPIPE.
        private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

        func run() throws -> Result {
            _ = Self.ignoreBrokenPipes
            let start = Date()
            let stdin = try Self.makePipe(), stdout = try Self.makePipe(), stderr = try Self.makePipe()
            let pid: pid_t
            do {
                pid = try spawn(stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
            } catch {
                for fd in [stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write] { close(fd) }
                throw error
            }
            close(stdin.read)
            close(stdout.write)
            close(stderr.write)
            _ = fcntl(stdin.write, F_SETFL, fcntl(stdin.write, F_GETFL) | O_NONBLOCK)
            // The command line itself is not logged: it is the administrator's text, not ours to copy.
            DiagnosticLog.command.debug("command started", metadata: ["pid": "\(pid)", "timeout": "\(Int(runner.timeout)) s"])
            let result = loop(pid: pid, input: stdin.write, output: stdout.read, errors: stderr.read, start: start)
            let ending = result.timedOut ? "stopped (timeout or cancelled)"
                : result.signal.map { "killed by signal \($0)" } ?? "exited \(result.exitStatus ?? -1)"
            DiagnosticLog.command.debug("command \(ending)", metadata: [
                "pid": "\(pid)", "elapsed": "\(String(format: "%.2f", result.elapsed)) s",
                "stdout": "\(result.standardOutput.count) bytes", "stderr": "\(result.standardError.count) bytes",
            ])
            return result
        }

        private static func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            // pipe2(O_CLOEXEC) is not visible to Swift; a process started by another thread in
            // between could inherit an end, which the 2 s grace after exit in `loop` absorbs.
            let status = pipe(&fds)
            if status == 0 { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
            guard status == 0 else {
                throw RotationFailure.consumerFailed("cannot create a pipe for the command: \(String(cString: strerror(errno)))")
            }
            return (fds[0], fds[1])
        }

        /// Starts `/bin/sh -c command` in a new process group, with default signal handling and an
        /// empty signal mask (this process may ignore SIGPIPE; the command must not inherit that).
        private func spawn(stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
            #if canImport(Glibc)
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
            #else
            var actions: posix_spawn_file_actions_t?
            var attributes: posix_spawnattr_t?
            #endif
            posix_spawn_file_actions_init(&actions)
            posix_spawnattr_init(&attributes)
            defer {
                posix_spawn_file_actions_destroy(&actions)
                posix_spawnattr_destroy(&attributes)
            }
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
            posix_spawn_file_actions_adddup2(&actions, stderr, 2)
            #if canImport(Glibc)
            Self.closeEverythingElse(&actions)
            #endif
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            posix_spawnattr_setpgroup(&attributes, 0)
            var flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
            #if canImport(Darwin)
            // Darwin: every descriptor not named by a file action is closed in the child.
            flags |= POSIX_SPAWN_CLOEXEC_DEFAULT
            #endif
            posix_spawnattr_setflags(&attributes, Int16(flags))

            let words: [String] = ["/bin/sh", "-c", command]
            let arguments: [UnsafeMutablePointer<CChar>?] = words.map { (word: String) in strdup(word) }
            let variables: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { (key: String, value: String) in strdup(key + "=" + value) }
            defer { (arguments + variables).forEach { free($0) } }
            var pid: pid_t = 0
            let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments + [nil], variables + [nil])
            guard status == 0 else {
                throw RotationFailure.consumerFailed("cannot start /bin/sh: \(String(cString: strerror(status)))")
            }
            return pid
        }

        #if canImport(Glibc)
        private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

        /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
        /// module does not export: looked up once at run time, `nil` on an older glibc.
        private static let addCloseFrom: AddCloseFrom? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(symbol, to: AddCloseFrom.self)
        }()

        /// Adds file actions that close every descriptor from 3 up in the child, after the dup2s.
        ///
        /// Close-on-exec alone is not enough: descriptors opened by libraries (libcurl's
        /// sockets, SQLite's files) or by other threads between `open` and `fcntl` may lack it.
        /// On Darwin, `POSIX_SPAWN_CLOEXEC_DEFAULT` (set in `spawn`) does this instead.
        private static func closeEverythingElse(_ actions: inout posix_spawn_file_actions_t) {
            if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
            // Before glibc 2.34: close each descriptor open now. glibc ignores a close action on a
            // descriptor that is no longer open by the time the child runs it.
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        #endif

        /// Feeds stdin, drains stdout and stderr, and enforces the deadline until the command has
        /// exited and closed its output (or left it open behind it: then 2 s more, and no longer).
        private func loop(pid: pid_t, input: Int32, output: Int32, errors: Int32, start: Date) -> Result {
            var stdinFD: Int32? = input, stdoutFD: Int32? = output, stderrFD: Int32? = errors
            var written = 0
            var captured = [Data(), Data()]
            var status: Int32 = 0
            var exitedAt: Date?
            var terminatedAt: Date?
            var killedAt: Date?
            var timedOut = false
            let deadline = start.addingTimeInterval(runner.timeout)
            func closeFD(_ fd: inout Int32?) {
                if let descriptor = fd { close(descriptor) }
                fd = nil
            }
            if input == -1 || self.input.count == 0 { closeFD(&stdinFD) }

            while true {
                let now = Date()
                if exitedAt == nil, waitpid(pid, &status, WNOHANG) == pid { exitedAt = now }
                if let exitedAt {
                    if stdoutFD == nil, stderrFD == nil { break }
                    if now.timeIntervalSince(exitedAt) > 2 { break }
                } else if terminatedAt == nil, now >= deadline || isCancelled {
                    timedOut = true
                    terminatedAt = now
                    DiagnosticLog.command.debug("command overstayed; SIGTERM to its process group", metadata: ["pid": "\(pid)"])
                    kill(-pid, SIGTERM)
                } else if let terminatedAt, killedAt == nil, now.timeIntervalSince(terminatedAt) >= runner.terminationGrace {
                    killedAt = now
                    DiagnosticLog.command.debug("command still running after SIGTERM; SIGKILL to its process group", metadata: ["pid": "\(pid)"])
                    kill(-pid, SIGKILL)
                }
                if exitedAt == nil, let killedAt, now.timeIntervalSince(killedAt) > 5 { break }

                var descriptors: [pollfd] = []
                if let fd = stdinFD { descriptors.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
                if let fd = stdoutFD { descriptors.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
                if let fd = stderrFD { descriptors.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
                if descriptors.isEmpty {
                    usleep(20_000)
                    continue
                }
                guard poll(&descriptors, nfds_t(descriptors.count), 50) > 0 else { continue }
                for descriptor in descriptors where descriptor.revents != 0 {
                    if descriptor.fd == stdinFD {
                        let result = self.input.withUnsafeBytes { bytes in
                            write(descriptor.fd, bytes.baseAddress! + written, bytes.count - written)
                        }
                        if result > 0 {
                            written += result
                            if written == self.input.count { closeFD(&stdinFD) }
                        } else if result < 0, errno != EAGAIN, errno != EINTR {
                            closeFD(&stdinFD)  // EPIPE: the command does not want (the rest of) its input
                        }
                    } else {
                        let index = descriptor.fd == stdoutFD ? 0 : 1
                        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                        let count = read(descriptor.fd, &buffer, buffer.count)
                        if count > 0 {
                            let room = max(0, runner.outputLimit - captured[index].count)
                            captured[index].append(contentsOf: buffer[0..<min(room, count)])
                        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                            if index == 0 { closeFD(&stdoutFD) } else { closeFD(&stderrFD) }
                        }
                        Cleanse.wipe(&buffer)
                    }
                }
            }
            closeFD(&stdinFD)
            closeFD(&stdoutFD)
            closeFD(&stderrFD)
            if exitedAt == nil {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            }
            let signal = status & 0x7f
            return Result(
                exitStatus: signal == 0 && !timedOut ? (status >> 8) & 0xff : nil,
                signal: signal == 0 ? nil : signal,
                timedOut: timedOut,
                standardOutput: captured[0], standardError: captured[1],
                elapsed: Date().timeIntervalSince(start))
        }
    }
}

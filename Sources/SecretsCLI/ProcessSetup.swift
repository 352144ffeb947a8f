#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(CProcessControl)
import CProcessControl
#endif

/// What `secrets` and `secrets-rotate` do to themselves first thing, before any key is in memory.
enum ProcessSetup {
    /// Makes the process safe to hold keys and to have its output piped:
    ///
    /// - files it creates are private (umask 077);
    /// - it writes no core dump: `RLIMIT_CORE` 0, and on Linux also not dumpable
    ///   (`PR_SET_DUMPABLE` 0), because a piped core handler (`core_pattern` `|…`, as systemd-coredump
    ///   and apport install) is run whatever the limit, and because a non-dumpable process cannot
    ///   be attached to with ptrace or have its `/proc/<pid>/mem`, `environ` and `fd` read by
    ///   other processes of the same user. Reading its own `/proc/self/exe` (how `secrets` finds
    ///   `secrets-rotate`) still works: the kernel always lets a process inspect itself. `execve`
    ///   resets the flag, so `secrets-rotate` sets it again here, and hooks start dumpable as usual;
    /// - SIGPIPE is ignored, so a reader that closes the pipe early (`secrets list | head -1`)
    ///   makes writes fail with `EPIPE`, which ``StandardStreams`` treats as the end of that
    ///   output, instead of killing the process mid-command. Hooks get SIGPIPE back at its
    ///   default (see `CommandRunner`).
    ///
    /// Failures are ignored: each is a second line of defence, and none can fail for an
    /// unprivileged process on a supported system.
    static func harden() {
        umask(0o077)
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        #if canImport(Glibc)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        #else
        setrlimit(RLIMIT_CORE, &noCore)
        #endif
        #if os(Linux)
        _ = secrets_disable_dumping()
        #endif
        signal(SIGPIPE, SIG_IGN)
    }
}

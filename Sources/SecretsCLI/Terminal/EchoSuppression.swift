#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the controlling terminal's echo off from before the vault is unlocked until the secret
/// prompt that follows has been answered, so nothing typed ahead (during the second or so that
/// scrypt takes) is shown in clear. What is typed meanwhile stays in the terminal's input and is
/// read by the prompt (``Terminal/readHidden(prompt:)`` silences without flushing it).
final class EchoSuppression {
    private let tty: Int32
    private var saved = termios()
    private var active: Bool

    /// Echo off now; nothing happens when there is no controlling terminal.
    init() {
        tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        active = tty >= 0 && tcgetattr(tty, &saved) == 0
        if active {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            active = tcsetattr(tty, TCSANOW, &silent) == 0
        }
    }

    /// The terminal as it was; called once the prompt is answered (and on deinit).
    func restore() {
        guard active else { return }
        active = false
        tcsetattr(tty, TCSANOW, &saved)
    }

    deinit {
        restore()
        if tty >= 0 { close(tty) }
    }
}

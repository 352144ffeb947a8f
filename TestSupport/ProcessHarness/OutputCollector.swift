import Foundation

/// Drains a pipe to its end on a thread of its own, so that a child process never blocks on a
/// full pipe while the parent is busy waiting for it.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var data = Data()

    /// Starts reading `handle` until end of file.
    init(reading handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let bytes = (try? handle.readToEnd()) ?? Data()
            try? handle.close()
            lock.withLock { data = bytes }
            finished.signal()
        }
    }

    /// Everything read, once the pipe reached end of file; `nil` if that did not happen within
    /// `timeout` seconds (some other process still holds the pipe's write end).
    func collect(timeout: TimeInterval) -> Data? {
        guard finished.wait(timeout: .now() + timeout) == .success else { return nil }
        return lock.withLock { data }
    }
}

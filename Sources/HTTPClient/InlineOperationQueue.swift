import Foundation

/// A delegate queue that runs each operation at once, on the thread that adds it.
///
/// swift-corelibs-foundation hands every piece of a body to the delegate by adding an operation
/// to the session's delegate queue, from the thread that drives libcurl, and does not wait for it.
/// With an ordinary queue nothing slows libcurl down: on a busy machine it enqueued hundreds of
/// megabytes of an endless body before the delegate got to see the first mebibyte and cancel.
/// Run inline, the delegate sees each piece before libcurl reads the next, so what is held is
/// what the exchange keeps (at most its limit) and nothing queues up behind it. Callbacks must
/// therefore never wait for the session (``Exchange`` cancels tasks from another thread).
final class InlineOperationQueue: OperationQueue, @unchecked Sendable {
    override init() {
        super.init()
        name = "HTTPClient inline delegate queue"
        maxConcurrentOperationCount = 1
    }

    override func addOperation(_ block: @escaping @Sendable () -> Void) {
        block()
    }

    override func addOperation(_ operation: Operation) {
        operation.start()
    }
}

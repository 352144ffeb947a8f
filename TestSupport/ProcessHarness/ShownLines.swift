import Foundation

/// Collects the lines a hook runner shows of failed commands' output, in place of stderr, so a
/// test can read what a person would have seen.
public final class ShownLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

    /// Every line shown so far, one per line.
    public var text: String { lock.withLock { lines.joined(separator: "\n") } }

    /// The closure to hand to the runner as its failure output.
    public var sink: @Sendable (String) -> Void { { line in self.lock.withLock { self.lines.append(line) } } }
}

/// A failure of a test harness itself (a missing binary or tool, a file that cannot be
/// written), as opposed to a behaviour under test. Thrown from a test, it fails the test.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

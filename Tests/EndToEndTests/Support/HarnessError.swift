/// A failure of the end-to-end harness itself (a missing binary or tool, a file that cannot be
/// written), as opposed to a behaviour under test. Thrown from a test, it fails the test.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

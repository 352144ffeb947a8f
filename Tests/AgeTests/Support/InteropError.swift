/// A failure of the interoperability test harness itself (a missing tool, a file that cannot be
/// written), as opposed to a behaviour under test.
struct InteropError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

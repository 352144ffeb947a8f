/// A failure of the test support itself (a file that cannot be written), not of the code under test.
struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

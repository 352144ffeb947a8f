import Foundation

/// A fresh, private directory under the system's temporary directory.
///
/// Remove it explicitly (`defer { directory.remove() }`).
struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    /// Creates a new empty directory with mode 0700.
    init(prefix: String = "ClientSecretsTests") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        self.path = path
    }

    /// The path of `name` inside the directory (the file need not exist).
    func path(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Writes `bytes` to `name` with `mode` and returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String, mode: Int = 0o600) throws -> String {
        let file = path(name)
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes), attributes: [.posixPermissions: mode]) else {
            throw TestSupportError("cannot write \(file)")
        }
        return file
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A failure in the tests' own set-up, not in the code under test.
struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation

/// A fresh, private directory under the system's temporary directory.
///
/// Remove it explicitly (`defer { directory.remove() }`).
struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    /// Creates a new empty directory with mode 0700.
    init(prefix: String = "JamfProTests") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        self.path = path
    }

    /// The path of `name` inside the directory (the file need not exist).
    func path(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// The contents of `name`, or empty data when it does not exist.
    func read(_ name: String) -> Data {
        FileManager.default.contents(atPath: path(name)) ?? Data()
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

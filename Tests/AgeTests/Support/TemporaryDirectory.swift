import Foundation
import ProcessHarness

/// A fresh, private directory under the system's temporary directory.
///
/// Remove it explicitly (`defer { directory.remove() }`): tying removal to a class's `deinit`
/// would let the optimizer delete the files while paths derived from it are still in use.
struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    /// Creates a new empty directory with mode 0700.
    init(prefix: String = "AgeInteropTests") throws {
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

    /// Writes `bytes` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path(name)
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw HarnessError("cannot write \(file)")
        }
        return file
    }

    /// Reads the whole file `name` inside the directory.
    func read(_ name: String) throws -> [UInt8] {
        let file = path(name)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw HarnessError("cannot read \(file)")
        }
        return [UInt8](data)
    }

    /// Whether `name` exists inside the directory.
    func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

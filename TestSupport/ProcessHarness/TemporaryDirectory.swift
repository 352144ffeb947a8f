import Foundation

/// A fresh, private directory under the system's temporary directory: the one every test target
/// uses (there were four copies, each with a different subset of these methods).
///
/// Remove it explicitly (`defer { directory.remove() }`): tying removal to a class's `deinit`
/// would let the optimizer delete the files while paths derived from it are still in use.
public struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates a new empty directory with mode 0700, named `prefix` and a UUID.
    public init(prefix: String = "secrets-tests") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        self.path = path
    }

    /// The path of `name` inside the directory (the file need not exist).
    public func path(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Writes `bytes` to `name` inside the directory with `mode`, and returns its path.
    @discardableResult
    public func write(_ bytes: Data, to name: String, mode: Int = 0o600) throws -> String {
        let file = path(name)
        guard FileManager.default.createFile(atPath: file, contents: bytes, attributes: [.posixPermissions: mode]) else {
            throw HarnessError("cannot write \(file)")
        }
        return file
    }

    /// Writes `bytes` to `name` inside the directory with `mode`, and returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String, mode: Int = 0o600) throws -> String {
        try write(Data(bytes), to: name, mode: mode)
    }

    /// Writes `text` to `name` inside the directory with `mode`, and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String, mode: Int = 0o600) throws -> String {
        try write(Data(text.utf8), to: name, mode: mode)
    }

    /// Reads the whole file `name` inside the directory; throws when it cannot be read.
    public func read(_ name: String) throws -> Data {
        let file = path(name)
        guard let data = FileManager.default.contents(atPath: file) else { throw HarnessError("cannot read \(file)") }
        return data
    }

    /// ``read(_:)`` as bytes.
    public func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try read(name))
    }

    /// The contents of `name`, or empty data when it does not exist (a file a child process may
    /// or may not have written).
    public func contents(_ name: String) -> Data {
        FileManager.default.contents(atPath: path(name)) ?? Data()
    }

    /// Whether `name` exists inside the directory.
    public func contains(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// The permission bits of `name` inside the directory.
    public func mode(of name: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
        guard let mode = attributes[.posixPermissions] as? Int else { throw HarnessError("no permissions for \(path(name))") }
        return mode & 0o7777
    }

    /// Changes the permission bits of `name` inside the directory.
    public func chmod(_ name: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path(name))
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

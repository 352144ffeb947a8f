import Foundation

/// Directories only their owner may enter, for the files that hold a vault or an identity.
package enum PrivateDirectory {
    /// Creates `path` and its missing parents with mode 0700; an existing directory is left as it is.
    ///
    /// - Throws: ``StorageError`` of kind `other` when `path` is a file or cannot be made.
    package static func create(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StorageError(.other, "\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError(.other, "cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}

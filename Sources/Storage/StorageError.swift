import Foundation

/// What went wrong below the vault, in terms every backend shares; the vault words it for people.
///
/// A backend throws only this from its operations. Errors thrown by the caller's own closures
/// pass through unchanged.
package struct StorageError: Error, Sendable, CustomStringConvertible {
    /// The kinds of failure the vault reacts to differently.
    package enum Kind: Sendable, Equatable {
        /// Another writer held the database for longer than the backend waits (`waited` seconds).
        case busy(waited: TimeInterval)
        /// The server rolled the transaction back because it conflicted with another one
        /// (a serialization failure or a deadlock): running it again from the start is safe.
        case conflict
        /// The database itself is damaged (pages overwritten, a file cut short).
        case damaged
        /// A row refers to a row that another writer removed.
        case missingReference
        /// A row repeats a unique key another writer stored.
        case duplicate
        /// Another table rule (a `CHECK`, `NOT NULL`) failed.
        case constraint
        /// A read-only transaction tried to change something.
        case readOnly
        /// Nothing exists at the location.
        case notFound
        /// What exists at the location is not a database this backend opens.
        case notADatabase
        /// The location is taken, so a new database was not created.
        case exists
        /// A column held a type other than the one asked for.
        case unexpectedValue
        /// Anything else: I/O errors, a full disk, a refused connection.
        case other
    }

    /// What failed.
    package let kind: Kind
    /// The backend's account of it, without any value that was stored or bound.
    package let message: String

    /// An error of `kind` that says `message`.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    package var description: String { message }
}

import Foundation

/// One column's value as a storage backend holds it: the four types every backend the vault
/// runs on can store without loss.
///
/// The vault authenticates rows by these values (``StoredRow``), so a backend must hand back
/// exactly the type and bytes it was given: an integer stays an integer, a blob a blob.
/// Text never holds a NUL character (SQLite through GRDB cuts it there, PostgreSQL refuses it):
/// the vault keeps text to values it chooses itself (states, roles, recipients) and anything
/// else in blobs.
package enum StoredValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double-precision number.
    case real(Double)
    /// UTF-8 text without NUL characters.
    case text(String)
    /// Bytes.
    case blob(Data)

    /// Whether this is SQL `NULL`.
    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The name of the value's type, for messages about a column holding the wrong one.
    package var typeName: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real number"
        case .text: "text"
        case .blob: "a blob"
        }
    }
}

/// A Swift type that is stored as a ``StoredValue`` and read back from one.
package protocol StoredValueConvertible {
    /// The value to store.
    var storedValue: StoredValue { get }
    /// The value read back, or `nil` when `stored` is not of this type.
    static func fromStored(_ stored: StoredValue) -> Self?
}

extension StoredValue: StoredValueConvertible {
    package var storedValue: StoredValue { self }
    package static func fromStored(_ stored: StoredValue) -> StoredValue? { stored }
}

extension Data: StoredValueConvertible {
    package var storedValue: StoredValue { .blob(self) }
    package static func fromStored(_ stored: StoredValue) -> Data? {
        switch stored {
        case .blob(let data): data
        // A text's UTF-8 bytes, as GRDB read them before this layer existed.
        case .text(let text): Data(text.utf8)
        default: nil
        }
    }
}

extension String: StoredValueConvertible {
    package var storedValue: StoredValue { .text(self) }
    package static func fromStored(_ stored: StoredValue) -> String? {
        if case .text(let text) = stored { return text }
        return nil
    }
}

extension Int64: StoredValueConvertible {
    package var storedValue: StoredValue { .integer(self) }
    package static func fromStored(_ stored: StoredValue) -> Int64? {
        if case .integer(let number) = stored { return number }
        return nil
    }
}

extension Int: StoredValueConvertible {
    package var storedValue: StoredValue { .integer(Int64(self)) }
    package static func fromStored(_ stored: StoredValue) -> Int? {
        if case .integer(let number) = stored { return Int(exactly: number) }
        return nil
    }
}

extension Bool: StoredValueConvertible {
    package var storedValue: StoredValue { .integer(self ? 1 : 0) }
    package static func fromStored(_ stored: StoredValue) -> Bool? {
        if case .integer(let number) = stored { return number != 0 }
        return nil
    }
}

extension Optional: StoredValueConvertible where Wrapped: StoredValueConvertible {
    package var storedValue: StoredValue { self?.storedValue ?? .null }
    package static func fromStored(_ stored: StoredValue) -> Wrapped?? {
        if stored.isNull { return .some(nil) }
        return Wrapped.fromStored(stored).map { .some($0) }
    }
}

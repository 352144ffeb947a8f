import Foundation
import Testing

@testable import ClientSecrets

/// Runs `body`, expecting it to throw a ``VaultError``; records an issue and returns `nil` otherwise.
@discardableResult
func expectVaultError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> VaultError? {
    do {
        _ = try body()
        Issue.record("expected a VaultError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as VaultError {
        return error
    } catch {
        Issue.record("expected a VaultError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Case checks for ``VaultError`` whose associated reasons are free text.
extension VaultError {
    /// The field of an ``invalidValue(field:reason:)``.
    var invalidField: String? {
        if case .invalidValue(let field, _) = detail { return field }
        return nil
    }

    /// The table and row of a ``tampered(table:row:reason:)``.
    var tamperedRow: (table: String, row: String, reason: String)? {
        if case .tampered(let table, let row, let reason) = detail { return (table, row, reason) }
        return nil
    }

    var isNotAuthorized: Bool {
        if case .notAuthorized = detail { return true }
        return false
    }

    var cannotUnlockReason: String? {
        if case .cannotUnlock(let reason) = detail { return reason }
        return nil
    }

    var isNotAVault: Bool {
        if case .notAVault = detail { return true }
        return false
    }

    var isRecipientProblem: Bool {
        if case .recipientProblem = detail { return true }
        return false
    }

    var isRecipientNotFound: Bool {
        if case .recipientNotFound = detail { return true }
        return false
    }

    var importConflictList: [String]? {
        if case .importConflicts(let list) = detail { return list }
        return nil
    }

    var isInvalidDocument: Bool {
        if case .invalidDocument = detail { return true }
        return false
    }
}

extension VaultError {
    var isImportNotTrusted: Bool {
        if case .importNotTrusted = detail { return true }
        return false
    }
}

import Age
import ArgumentParser
import ClientSecrets
import CryptoPrimitives
import Rotation

/// The exit codes `secrets` uses, from `sysexits.h`; `expiring` has its own (see ``ExpiringCommand``).
enum ExitStatus {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let unavailable: Int32 = 69
    static let temporaryFailure: Int32 = 75
    static let noPermission: Int32 = 77
    static let configuration: Int32 = 78
    /// `rotate` and `rollback`: one or more apps failed (each is named in the summary).
    static let someFailed: Int32 = 1

    /// The exit code for `error`.
    static func code(for error: Error) -> Int32 {
        switch error {
        case let error as VaultError:
            // A certificate or key that cannot be used is bad data, as a damaged one is.
            if case .invalidValue(let field, _) = error.detail, field == "certificate" || field == "private-key" { return dataError }
            switch error.code {
            case .vaultNotFound, .identityNotFound, .appNotFound, .credentialNotFound, .noSecretValue, .recipientNotFound: return noInput
            case .vaultExists: return cannotCreate
            case .notAVault, .tampered, .integrityMismatch, .untrusted, .invalidDocument, .importConflicts, .importNotTrusted, .appExists,
                 .credentialExists, .recipientProblem: return dataError
            case .identityTooOpen, .identityNotPrivate, .cannotUnlock, .notAuthorized: return noPermission
            case .invalidValue: return usage
            case .storage: return ioError
            case .busy: return temporaryFailure
            case .lockNotPrivate: return noPermission
            default: return dataError
            }
        case let error as AgeError:
            switch error {
            case .incorrectPassphrase, .noMatchingIdentity: return noPermission
            case .io: return ioError
            default: return dataError
            }
        case let error as CLIError:
            return error.code
        case is RotationSettingError:
            return usage
        case is CryptoError:
            return dataError
        case let error as RotationFailure:
            switch error.code {
            case .unavailable: return unavailable
            case .authenticationFailed, .permissionDenied: return noPermission
            case .policyRejected, .misconfigured: return configuration
            case .notFound: return noInput
            case .needsPerson: return temporaryFailure
            case .verificationFailed, .consumerFailed, .unexpectedResponse, .invalidAnswer: return someFailed
            default: return someFailed
            }
        default:
            return software
        }
    }

    /// The fields of ``VaultError/invalidValue(field:reason:)`` that are flags: the issuers' and
    /// consumer kinds' settings as they declare them, and the flags of the commands themselves.
    static let flagNames: Set<String> = {
        let declared = IssuerKind.allCases.flatMap { $0.settings.map(\.flag) } + Consumer.Kind.allCases.flatMap { $0.settings.map(\.flag) }
        let commands = [
            "rotator", "concurrency", "app-id", "tenant", "key-id", "expires", "valid-from", "lifetime", "rotate-before", "overlap",
            "consumer", "tag", "notes", "cloud", "days", "name", "issuer", "state", "confirm-removed", "secret-description",
            "issuer-setting", "consumer-setting", "entra-key-id", "private-key", "certificate",
        ]
        return Set(declared + commands)
    }()

    /// The one-line message for `error`, naming the flag when a value was wrong.
    static func message(for error: Error) -> String {
        switch error {
        case let error as VaultError where error.code == .invalidValue:
            guard case .invalidValue(let field, let reason) = error.detail else { return "\(error)" }
            return "invalid \(flagNames.contains(field) ? "--" + field : field): \(reason)"
        case let error as AgeError:
            return "cannot decrypt: \(error)"
        default:
            return "\(error)"
        }
    }
}

/// Failures the command line itself detects, with their exit code.
package struct CLIError: Error, CustomStringConvertible {
    package let description: String
    package let code: Int32

    package static func usage(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.usage) }
    static func noInput(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.noInput) }
    static func cannotUnlock(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.noPermission) }
}

/// Runs a command's body, turning any failure into its one-line message on stderr and its exit code.
func reportingErrors(exitCode: ((Error) -> Int32)? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.printError("secrets: \(ExitStatus.message(for: error))")
        throw ExitCode(exitCode?(error) ?? ExitStatus.code(for: error))
    }
}

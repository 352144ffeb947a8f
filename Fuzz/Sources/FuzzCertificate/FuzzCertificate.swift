import CryptoPrimitives
import FuzzSupport

/// libFuzzer entry point: the input is a PEM file or DER bytes, as `secrets cert import` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCertificate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzInput.with(data, size) { CertificateTarget.run($0) }
    return 0
}

/// The `main` SwiftPM links a debug executable with (see ``FuzzerDriver``).
@_cdecl("FuzzCertificate_main")
public func fuzzCertificateMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzerDriver.run(argc, argv, fuzzCertificate)
}

/// The PEM and DER readers of certificates and RSA private keys (issue 16).
///
/// Properties, beyond never trapping:
/// - A refusal is a ``CryptoError`` whose text is one of the fixed reasons: it never repeats the
///   input (which could be a private key).
/// - A certificate that reads writes back to itself: its DER and its PEM read to an equal one.
/// - A private key that reads is RSA of at least 2048 bits, and its PKCS #8 form reads to the
///   same key (the same public key).
enum CertificateTarget {
    static func run(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let secret = SecureBytes(copying: bytes)
        check { try X509Certificate(der: bytes) }
        check { try X509Certificate(pem: String(decoding: bytes, as: UTF8.self)) }
        checkKey { try RSAPrivateKey(der: secret) }
        checkKey { try RSAPrivateKey(pem: secret) }
    }

    static func check(_ read: () throws -> X509Certificate) {
        do {
            let certificate = try read()
            Property.require((try? X509Certificate(der: certificate.der)) == certificate, "a certificate's DER does not read back to it")
            Property.require((try? X509Certificate(pem: certificate.pem)) == certificate, "a certificate's PEM does not read back to it")
            Property.require(certificate.publicKey.bits >= RSAPrivateKey.minimumBits, "a certificate with a weak key was accepted")
        } catch let error as CryptoError {
            requireFixed(error)
        } catch {
            Property.fail("the certificate reader threw something other than CryptoError: \(type(of: error))")
        }
    }

    static func checkKey(_ read: () throws -> RSAPrivateKey) {
        do {
            let key = try read()
            Property.require(key.bits >= RSAPrivateKey.minimumBits, "a weak key was accepted")
            let again = try RSAPrivateKey(der: key.pkcs8)
            Property.require((try? again.publicKey()) == (try? key.publicKey()), "a key's PKCS #8 form reads to another key")
        } catch let error as CryptoError {
            requireFixed(error)
        } catch {
            Property.fail("the key reader threw something other than CryptoError: \(type(of: error))")
        }
    }

    /// Every reason the readers give, whole: a reason that merely starts like one could go on
    /// to repeat the input.
    static func requireFixed(_ error: CryptoError) {
        switch error {
        case .invalidKey(let reason), .invalidCertificate(let reason):
            Property.require(reasons.contains(reason), "a refusal is not one of the fixed reasons (it may repeat the input): \(reason.prefix(80))")
        case .weakKey, .openSSLFailure:
            break
        default:
            Property.fail("an unexpected CryptoError: \(error)")
        }
    }

    static let reasons: Set<String> = {
        var reasons: Set = [
            "it is empty", "it is not a DER private key (PKCS #8 or PKCS #1; an encrypted key must be decrypted first)", "bytes follow the key",
            "it is not an RSA key (Entra ID's client assertions are RSA)", "it is not an RSA key", "it is longer than 16384 bits",
            "its private and public parts do not belong together", "it is not a DER X.509 certificate", "bytes follow the certificate",
            "it holds no public key this tool reads", "its validity dates cannot be read", "it ends before it starts",
            "the private key's PEM block is not a \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" block",
            "the certificate's PEM block is not a \"CERTIFICATE\" block",
        ]
        for what in ["private key", "certificate"] {
            reasons.formUnion([
                "no PEM block found for the \(what)", "the \(what)'s file holds more than one PEM block", "the \(what) is encrypted; decrypt it first",
                "the \(what)'s PEM block has no end line", "the \(what)'s PEM block is not base64",
            ])
        }
        return reasons
    }()
}

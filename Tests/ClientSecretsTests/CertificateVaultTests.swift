import CryptoPrimitives
import Foundation
import GRDB
import Testing

@testable import ClientSecrets

/// Certificate credentials in the vault (issue 16): the certificate as metadata any identity
/// reads, the private key as a sealed value only an admin reads, activation, and the export.
@Suite("Certificates in the vault")
struct CertificateVaultTests {
    /// One key for the suite: generating one takes a fraction of a second at 2048 bits.
    static let key: RSAPrivateKey = try! RSAPrivateKey.generate(bits: 2048)

    static func certificate(_ key: RSAPrivateKey = key, days: Double = 365) throws -> X509Certificate {
        try X509Certificate.selfSigned(
            key: key, commonName: "rotator", notBefore: Sample.now.addingTimeInterval(-400 * 86_400), notAfter: Sample.now.addingTimeInterval(days * 86_400))
    }

    static func vaultWithRotator() throws -> (VaultHarness, Vault) {
        let (harness, vault) = try VaultHarness.make()
        try vault.addApp(App(label: "rotator", appID: UUID().uuidString, tenant: "contoso.onmicrosoft.com"), now: Sample.now)
        try vault.addSecret(to: "rotator", value: SecureBytes(copying: Array("rotator-secret-value-0123456789".utf8)), expires: Sample.at(days: 30), now: Sample.now)
        return (harness, vault)
    }

    @Test("a pending certificate is stored with its thumbprints and key; activation makes it what the app signs in with")
    func storeAndActivate() throws {
        let (harness, vault) = try Self.vaultWithRotator()
        defer { harness.remove() }
        let certificate = try Self.certificate()
        let stored = try vault.addCertificate(to: "rotator", certificate: certificate, privateKey: Self.key, now: Sample.now)
        #expect(stored.credential.state == .pending && stored.credential.kind == .certificate && stored.hasValue)
        #expect(stored.credential.thumbprint == CertificateDetails.hex(try certificate.sha1Thumbprint()))
        #expect(stored.credential.certificate?.sha256Thumbprint == CertificateDetails.hex(try certificate.sha256Thumbprint()))
        #expect(stored.credential.expires == certificate.notAfter)
        // Still the secret until the certificate is activated.
        guard case .secret = try vault.signInCredential(of: "rotator") else { Issue.record("a pending certificate signs in"); return }

        let entraKeyID = UUID().uuidString.lowercased()
        _ = try vault.activateCertificate(of: "rotator", keyID: stored.credential.keyID, issuerKeyID: entraKeyID, now: Sample.at(days: 1))
        guard case .certificate(let signing) = try vault.signInCredential(of: "rotator") else { Issue.record("the certificate is not used"); return }
        #expect(signing.keyID == entraKeyID)
        #expect(signing.certificate == certificate)
        #expect(try signing.privateKey.publicKey() == certificate.publicKey)
        let states = try vault.overview(of: "rotator").credentials.map { ($0.credential.kind, $0.credential.state) }
        #expect(states.contains { $0 == (.secret, .previous) } && states.contains { $0 == (.certificate, .current) })
        #expect(try vault.verify().isClean)
        // Another activation of the same one is refused: it is no longer pending.
        #expect(throws: VaultError.self) { try vault.activateCertificate(of: "rotator", keyID: entraKeyID) }

        // Reopened, the certificate and key read back the same.
        let reopened = try harness.open()
        guard case .certificate(let again) = try reopened.signInCredential(of: "rotator") else { Issue.record("lost on reopen"); return }
        #expect(again.certificate == certificate)
    }

    @Test("a key that is not the certificate's, an expired certificate, and the same certificate twice are refused; nothing is stored")
    func refusals() throws {
        let (harness, vault) = try Self.vaultWithRotator()
        defer { harness.remove() }
        let other = try RSAPrivateKey.generate(bits: 2048)
        #expect(throws: VaultError.invalidValue(field: "private-key", reason: "it is not the certificate's key (their public keys differ)")) {
            try vault.addCertificate(to: "rotator", certificate: try Self.certificate(), privateKey: other, now: Sample.now)
        }
        #expect(throws: VaultError.self) {
            try vault.addCertificate(to: "rotator", certificate: try Self.certificate(days: -1), privateKey: Self.key, now: Sample.now)
        }
        #expect(try vault.certificates(of: "rotator").isEmpty)
        let certificate = try Self.certificate()
        try vault.addCertificate(to: "rotator", certificate: certificate, privateKey: Self.key, now: Sample.now)
        #expect(throws: VaultError.self) { try vault.addCertificate(to: "rotator", certificate: certificate, privateKey: Self.key, now: Sample.now) }
        #expect(try vault.certificates(of: "rotator").count == 1)
    }

    @Test("the export carries the certificate and its key (version 3); the import restores both; a forged key or thumbprint is refused")
    func exportRoundTrip() throws {
        let (source, sourceVault) = try Self.vaultWithRotator()
        defer { source.remove() }
        let certificate = try Self.certificate()
        let stored = try sourceVault.addCertificate(to: "rotator", certificate: certificate, privateKey: Self.key, state: .current, now: Sample.now)
        let document = try sourceVault.exportDocument(now: Sample.now)
        #expect(document.version == 3)
        let decoded = try ExportDocument.decode(try document.encoded())

        let (target, targetVault) = try VaultHarness.make()
        defer { target.remove() }
        try targetVault.importDocument(decoded, trusting: [.otherVault, .actions], now: Sample.at(days: 1))
        let signing = try targetVault.signingCertificate(of: "rotator", keyID: stored.credential.keyID)
        #expect(signing.certificate == certificate)
        #expect(try signing.privateKey.publicKey() == certificate.publicKey)
        #expect(try targetVault.verify().isClean)

        // Another key as the value, or a thumbprint that is not the certificate's: refused whole.
        var forged = decoded
        let index = try #require(forged.apps[0].credentials.firstIndex { $0.type == .certificate })
        var keyForged = forged
        keyForged.apps[0].credentials[index].value = String(decoding: try RSAPrivateKey.generate(bits: 2048).pemEncoded().withUnsafeBytes { Array($0) }, as: UTF8.self)
        forged.apps[0].credentials[index].thumbprint = String(repeating: "A", count: 40)
        for document in [keyForged, forged] {
            let (other, otherVault) = try VaultHarness.make()
            defer { other.remove() }
            #expect(throws: VaultError.self) { try otherVault.importDocument(document, trusting: [.otherVault, .actions], now: Sample.now) }
            #expect(try otherVault.overview().isEmpty)
        }
    }

    @Test("another app's certificate and key moved into this one's row, or a flipped bit in either column, is damage, never a signing key", .sqliteFile,
          arguments: ["moved", "value", "meta"])
    func tamperedCertificates(_ damage: String) throws {
        let (harness, vault) = try Self.vaultWithRotator()
        defer { harness.remove() }
        try vault.addApp(App(label: "scanner", appID: UUID().uuidString, tenant: "contoso.onmicrosoft.com"), now: Sample.now)
        let mine = try vault.addCertificate(to: "rotator", certificate: try Self.certificate(), privateKey: Self.key, state: .current, now: Sample.now)
        let otherKey = try RSAPrivateKey.generate(bits: 2048)
        let theirs = try vault.addCertificate(to: "scanner", certificate: try Self.certificate(otherKey), privateKey: otherKey, state: .current, now: Sample.now)
        guard case .certificate = try vault.signInCredential(of: "rotator") else { Issue.record("no certificate before the damage"); return }
        try RawVaultFile.write(harness.path) { db in
            switch damage {
            case "moved":
                let sealed = try RawVaultFile.blob(db, "credentials", "secret", id: theirs.id.data)
                try RawVaultFile.set(db, "credentials", "secret", to: sealed, id: mine.id.data)
            case "value": try RawVaultFile.flipByte(db, "credentials", "secret", id: mine.id.data)
            default: try RawVaultFile.flipByte(db, "credentials", "meta", id: mine.id.data)
            }
        }
        let reopened = try harness.open()
        #expect(throws: VaultError.self) { _ = try reopened.signInCredential(of: "rotator") }
        #expect(!(try reopened.verify().isClean))
    }
}

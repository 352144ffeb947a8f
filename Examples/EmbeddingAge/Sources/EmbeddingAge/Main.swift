// Encrypts a value to a fresh X25519 identity and to a passphrase, then decrypts both:
// the smallest useful program on top of the `Age` library.
import Age
import CryptoPrimitives

@main
enum Main {
    static func main() throws {
        let identity = try X25519Identity.generate()
        print("recipient: \(identity.recipient)")

        let secret = SecureBytes(copying: Array("example client secret".utf8))
        let forIdentity = try AgeFile.encrypt(secret, to: [identity.recipient])
        let opened = try AgeFile.decrypt(forIdentity, identities: [identity])
        print("X25519: \(forIdentity.count)-byte age file, round trip \(opened.constantTimeEquals(secret) ? "ok" : "FAILED")")

        let passphrase = SecureBytes(copying: Array("a passphrase the reader types".utf8))
        let forPassphrase = try AgeFile.encrypt(secret, to: [ScryptRecipient(passphrase: passphrase, workFactor: 14)])
        let unlocked = try AgeFile.decrypt(forPassphrase, identities: [ScryptIdentity(passphrase: passphrase)])
        print("scrypt: \(forPassphrase.count)-byte age file, round trip \(unlocked.constantTimeEquals(secret) ? "ok" : "FAILED")")

        guard opened.constantTimeEquals(secret), unlocked.constantTimeEquals(secret) else { throw RoundTripFailed() }
    }
}

struct RoundTripFailed: Error {}

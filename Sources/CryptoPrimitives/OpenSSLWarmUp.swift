import COpenSSL
import Foundation

/// Starts OpenSSL's one-time work early, on a thread of its own, so that a short command does
/// not wait for it: loading the configuration and providers, and setting up each algorithm's
/// implementation the first time it is asked for (about 1.6 ms here, measured in a C program).
/// The command line calls ``begin()`` before parsing its arguments, which takes 3–5 ms.
///
/// Nothing secret passes through it: every key it uses is all zeros and is thrown away.
public enum OpenSSLWarmUp {
    /// Initialises OpenSSL on this thread, without the exit handler that tears it down, then sets
    /// up the algorithms this project uses on a detached thread.
    ///
    /// Without that exit handler, a process that exits while the thread still runs (`--version`)
    /// cannot free OpenSSL's tables under it; the process's memory is the kernel's to reclaim
    /// then. Idempotent: only the first initialisation in a process decides its options.
    public static func begin() {
        let options = UInt64(OPENSSL_INIT_LOAD_CONFIG) | UInt64(OPENSSL_INIT_NO_ATEXIT)
        guard OPENSSL_init_crypto(options, nil) == 1 else { return }
        Thread.detachNewThread { warm() }
    }

    /// Asks for each algorithm once, as the vault's first open does; failures are ignored (the
    /// real call reports them).
    static func warm() {
        let zero = SecureBytes(count: 32) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        if let key = try? X25519.PrivateKey(rawRepresentation: zero), let peer = try? key.publicKey() {
            _ = try? key.sharedSecret(with: peer)
        }
        _ = try? HKDF.sha256(inputKeyMaterial: zero, salt: [UInt8](), info: [UInt8](), outputCount: 32)
        _ = try? HMAC.sha256(key: zero, message: [UInt8]())
        _ = try? SHA256.hash([UInt8]())
        let nonce = [UInt8](repeating: 0, count: 12)
        for algorithm in [AEADAlgorithm.chaCha20Poly1305, .aes256GCM] {
            _ = try? algorithm.seal([UInt8](), key: zero, nonce: nonce)
        }
        if let publicKey = try? Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) {
            _ = publicKey.isValidSignature([UInt8](repeating: 0, count: 64), for: [])
        }
    }
}

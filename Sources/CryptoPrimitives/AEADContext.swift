import COpenSSL

/// A keyed AEAD cipher that can process many messages, each with its own nonce.
///
/// It keeps one OpenSSL cipher context, so the key schedule is computed once; this is what
/// makes age's STREAM fast. Operations work in place on the caller's buffer. Not thread-safe:
/// use one context per task.
public final class AEADContext {
    /// The cipher in use.
    public let algorithm: AEADAlgorithm
    private let key: SecureBytes
    private let context: OpaquePointer
    /// The direction OpenSSL's context is keyed for; `nil` until first use.
    private var isEncrypting: Bool?

    /// Creates a context for `algorithm` keyed with `key`.
    public init(algorithm: AEADAlgorithm, key: SecureBytes) throws {
        guard key.count == algorithm.keyCount else {
            throw CryptoError.invalidLength(what: "\(algorithm.name) key", expected: algorithm.keyCount, actual: key.count)
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw CryptoError.openSSL("EVP_CIPHER_CTX_new")
        }
        self.algorithm = algorithm
        self.context = context
        self.key = key
    }

    deinit {
        // EVP_CIPHER_CTX_free cleanses the expanded key before releasing it.
        EVP_CIPHER_CTX_free(context)
    }

    /// Encrypts `buffer[0..<plaintextCount]` in place and writes the tag right after it.
    ///
    /// - Returns: the ciphertext-with-tag length, `plaintextCount + tagCount`.
    @discardableResult
    public func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer,
        plaintextCount: Int,
        nonce: UnsafeRawBufferPointer,
        authenticating aad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) throws -> Int {
        let tagCount = algorithm.tagCount
        guard plaintextCount >= 0, plaintextCount <= Int(Int32.max) - tagCount, plaintextCount + tagCount <= buffer.count else {
            throw CryptoError.invalidLength(what: "sealing buffer", expected: plaintextCount &+ tagCount, actual: buffer.count)
        }
        try prepare(encrypting: true, nonce: nonce)
        try authenticate(aad)
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var produced: Int32 = 0
        if plaintextCount > 0 {
            guard EVP_EncryptUpdate(context, base, &produced, base, Int32(plaintextCount)) == 1 else {
                throw CryptoError.openSSL("EVP_EncryptUpdate")
            }
        }
        var finalCount: Int32 = 0
        guard EVP_EncryptFinal_ex(context, base.advanced(by: Int(produced)), &finalCount) == 1 else {
            throw CryptoError.openSSL("EVP_EncryptFinal_ex")
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagCount), base.advanced(by: plaintextCount)) == 1 else {
            throw CryptoError.openSSL("EVP_CTRL_AEAD_GET_TAG")
        }
        return plaintextCount + tagCount
    }

    /// Verifies and decrypts `buffer` (ciphertext followed by tag) in place.
    ///
    /// On failure the buffer's plaintext region is wiped, so unauthenticated data never escapes.
    /// - Returns: the plaintext length, `buffer.count - tagCount`.
    /// - Throws: ``CryptoError/authenticationFailed`` when the tag does not verify.
    public func openInPlace(
        _ buffer: UnsafeMutableRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        authenticating aad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) throws -> Int {
        let tagCount = algorithm.tagCount
        guard buffer.count >= tagCount, buffer.count - tagCount <= Int(Int32.max) else {
            throw CryptoError.authenticationFailed
        }
        let plaintextCount = buffer.count - tagCount
        try prepare(encrypting: false, nonce: nonce)
        try authenticate(aad)
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // From here on the buffer may hold unauthenticated plaintext: every failure wipes it.
        func fail(_ error: CryptoError) -> CryptoError {
            Cleanse.wipe(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<plaintextCount]))
            ERR_clear_error()
            return error
        }
        var produced: Int32 = 0
        if plaintextCount > 0 {
            guard EVP_DecryptUpdate(context, base, &produced, base, Int32(plaintextCount)) == 1 else {
                throw fail(.openSSLFailure(operation: "EVP_DecryptUpdate"))
            }
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagCount), base.advanced(by: plaintextCount)) == 1 else {
            throw fail(.openSSLFailure(operation: "EVP_CTRL_AEAD_SET_TAG"))
        }
        var finalCount: Int32 = 0
        guard EVP_DecryptFinal_ex(context, base.advanced(by: Int(produced)), &finalCount) == 1 else {
            throw fail(.authenticationFailed)
        }
        return plaintextCount
    }

    /// Encrypts `plaintext`; returns ciphertext followed by the tag.
    public func seal(
        _ plaintext: some ContiguousByteStorage, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { input in
            var output = [UInt8](repeating: 0, count: input.count + algorithm.tagCount)
            do {
                try output.withUnsafeMutableBytes { buffer in
                    if input.count > 0 { buffer.copyMemory(from: input) }
                    _ = try nonce.withUnsafeBytes { nonce in
                        try aad.withUnsafeBytes { aad in
                            try sealInPlace(buffer, plaintextCount: input.count, nonce: nonce, authenticating: aad)
                        }
                    }
                }
            } catch {
                // The array still holds the plaintext (often a key): wipe it before it is freed.
                Cleanse.wipe(&output)
                throw error
            }
            return output
        }
    }

    /// Verifies and decrypts ciphertext-with-tag into wiped storage.
    public func open(
        _ sealed: some ContiguousByteStorage, nonce: [UInt8], authenticating aad: [UInt8] = []
    ) throws -> SecureBytes {
        try sealed.withUnsafeBytes { input in
            guard input.count >= algorithm.tagCount else { throw CryptoError.authenticationFailed }
            // Decrypt in a wiped scratch copy, then keep only the plaintext part.
            var plaintextCount = 0
            let scratch = try SecureBytes(count: input.count) { buffer in
                buffer.copyMemory(from: input)
                plaintextCount = try nonce.withUnsafeBytes { nonce in
                    try aad.withUnsafeBytes { aad in
                        try openInPlace(buffer, nonce: nonce, authenticating: aad)
                    }
                }
            }
            return scratch.withUnsafeBytes { SecureBytes(copying: $0[0..<plaintextCount]) }
        }
    }

    private func prepare(encrypting: Bool, nonce: UnsafeRawBufferPointer) throws {
        guard nonce.count == algorithm.nonceCount else {
            throw CryptoError.invalidLength(what: "\(algorithm.name) nonce", expected: algorithm.nonceCount, actual: nonce.count)
        }
        let nonceBase = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status: Int32
        if isEncrypting == encrypting {
            // Same direction and key as last time: only the nonce changes.
            status = EVP_CipherInit_ex(context, nil, nil, nil, nonceBase, encrypting ? 1 : 0)
        } else {
            status = key.withUnsafeBytes { key in
                EVP_CipherInit_ex(
                    context, algorithm.evpCipher, nil,
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self), nonceBase, encrypting ? 1 : 0)
            }
            isEncrypting = status == 1 ? encrypting : nil
        }
        guard status == 1 else { throw CryptoError.openSSL("EVP_CipherInit_ex") }
    }

    private func authenticate(_ aad: UnsafeRawBufferPointer) throws {
        guard aad.count > 0 else { return }
        guard aad.count <= Int(Int32.max) else {
            throw CryptoError.invalidLength(what: "associated data", expected: Int(Int32.max), actual: aad.count)
        }
        var ignored: Int32 = 0
        guard EVP_CipherUpdate(context, nil, &ignored, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
            throw CryptoError.openSSL("EVP_CipherUpdate(aad)")
        }
    }
}

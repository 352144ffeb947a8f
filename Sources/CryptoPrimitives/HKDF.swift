import COpenSSL

/// HKDF (RFC 5869) with SHA-256.
public enum HKDF {
    /// Derives `outputCount` bytes from `inputKeyMaterial`, `salt` and `info` with HKDF-SHA-256
    /// (extract then expand). The result is key material, so it comes back in wiped storage.
    public static func sha256(
        inputKeyMaterial: SecureBytes, salt: some ContiguousByteStorage, info: some ContiguousByteStorage, outputCount: Int
    ) throws -> SecureBytes {
        guard outputCount > 0, outputCount <= 255 * 32 else {
            throw CryptoError.invalidLength(what: "HKDF-SHA-256 output", expected: 32, actual: outputCount)
        }
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_id(HKDF)")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_derive_init(context) == 1, EVP_PKEY_CTX_set_hkdf_md(context, EVP_sha256()) == 1 else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_set_hkdf_md")
        }
        let configured = inputKeyMaterial.withUnsafeBytes { key in
            salt.withUnsafeBytes { salt in
                info.withUnsafeBytes { info in
                    EVP_PKEY_CTX_set1_hkdf_key(context, key.bytePointer, Int32(key.count)) == 1
                        && EVP_PKEY_CTX_set1_hkdf_salt(context, salt.bytePointer, Int32(salt.count)) == 1
                        && (info.isEmpty || EVP_PKEY_CTX_add1_hkdf_info(context, info.bytePointer, Int32(info.count)) == 1)
                }
            }
        }
        guard configured else { throw CryptoError.openSSL("EVP_PKEY_CTX_set1_hkdf_key") }
        var derived = false
        let output = SecureBytes(count: outputCount) { buffer in
            var length = outputCount
            derived = EVP_PKEY_derive(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
                && length == outputCount
        }
        guard derived else { throw CryptoError.openSSL("EVP_PKEY_derive(HKDF)") }
        return output
    }
}

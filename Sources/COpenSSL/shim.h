#ifndef SECRETS_COPENSSL_SHIM_H
#define SECRETS_COPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "secrets needs OpenSSL 3.0 or newer (Debian: libssl-dev)"
#endif

// OPENSSL_free is a function-like macro (it passes __FILE__/__LINE__ to CRYPTO_free),
// so Swift cannot call it; this inline function is the only way to release OpenSSL-owned memory.
static inline void COpenSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

// EVP_CIPHER_CTX_get_tag_length / key_length exist as functions, but the AEAD tag control
// constants changed names across versions; pin the ones this project relies on here.
static inline int COpenSSL_aead_set_tag(EVP_CIPHER_CTX *ctx, int length, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, length, tag);
}

static inline int COpenSSL_aead_get_tag(EVP_CIPHER_CTX *ctx, int length, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, length, tag);
}

#endif

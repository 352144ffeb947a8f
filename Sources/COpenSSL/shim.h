#ifndef SECRETS_COPENSSL_SHIM_H
#define SECRETS_COPENSSL_SHIM_H

// The libcrypto headers Swift imports as the COpenSSL module. Only CryptoPrimitives imports it.
// Function-like macros that Swift cannot import get static inline wrappers here; with the
// OpenSSL 3 API the primitives use, none is needed yet.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// EVP_PKEY_CTX_set_hkdf_md and friends became functions in OpenSSL 3.0; before that they were
// function-like macros that Swift cannot call. Fail the build with a clear message instead.
// XN_FLAG_RFC2253 is a macro of several others, which Swift does not import.
// Without ASN1_STRFLGS_ESC_MSB, so a UTF-8 name reads as UTF-8, not as \C3\A9 escapes.
static const unsigned long SECRETS_XN_FLAG_RFC2253_UTF8 = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "secrets needs OpenSSL 3.0 or newer (Debian: libssl-dev)"
#endif

#endif

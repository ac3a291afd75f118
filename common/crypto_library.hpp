// OpenSSL's libcrypto, loaded when a digest is first computed: linking it would make every berth command load and
// relocate it at start-up (about 7 ms and 3 MiB), though only pulls and image commands compute digests.
#pragma once

#include <openssl/evp.h>

namespace berth {

// The libcrypto functions berth uses.
#define BERTH_CRYPTO_FUNCTIONS(X) \
    X(EVP_MD_CTX_new)             \
    X(EVP_MD_CTX_free)            \
    X(EVP_MD_CTX_copy_ex)         \
    X(EVP_DigestInit_ex)          \
    X(EVP_DigestUpdate)           \
    X(EVP_DigestFinal_ex)         \
    X(EVP_sha256)

struct CryptoLibrary {
#define BERTH_DECLARE_CRYPTO_FUNCTION(name) decltype(&::name) name;
    BERTH_CRYPTO_FUNCTIONS(BERTH_DECLARE_CRYPTO_FUNCTION)
#undef BERTH_DECLARE_CRYPTO_FUNCTION
};

// The library, loaded once per process; throws Error naming it and the package to install when it cannot be.
const CryptoLibrary& libcrypto();

}  // namespace berth

#include "common/crypto_library.hpp"

#include "common/shared_library.hpp"

namespace berth {
namespace {

CryptoLibrary load() {
    SharedLibrary library("libcrypto.so.3", "libssl3");
    CryptoLibrary table{};
#define BERTH_RESOLVE_CRYPTO_FUNCTION(name) library.resolve(#name, table.name);
    BERTH_CRYPTO_FUNCTIONS(BERTH_RESOLVE_CRYPTO_FUNCTION)
#undef BERTH_RESOLVE_CRYPTO_FUNCTION
    return table;
}

}  // namespace

const CryptoLibrary& libcrypto() { return load_once(load); }

}  // namespace berth

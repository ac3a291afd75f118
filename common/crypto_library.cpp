#include "common/crypto_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "common/error.hpp"

namespace berth {
namespace {

constexpr const char* library_name = "libcrypto.so.3";

CryptoLibrary load() {
    void* handle = ::dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
        throw Error(std::string("load ") + library_name + ": " + ::dlerror() + " (install the libssl3 package)");
    CryptoLibrary library{};
#define BERTH_RESOLVE_CRYPTO_FUNCTION(name)                                          \
    library.name = reinterpret_cast<decltype(library.name)>(::dlsym(handle, #name)); \
    if (library.name == nullptr) throw Error(std::string("load ") + library_name + ": no symbol " #name);
    BERTH_CRYPTO_FUNCTIONS(BERTH_RESOLVE_CRYPTO_FUNCTION)
#undef BERTH_RESOLVE_CRYPTO_FUNCTION
    return library;  // the handle stays open for the life of the process
}

}  // namespace

const CryptoLibrary& libcrypto() {
    static std::once_flag once;
    static CryptoLibrary library;
    static std::string failure;
    std::call_once(once, [] {
        try {
            library = load();
        } catch (const Error& error) {
            failure = error.what();
        }
    });
    if (!failure.empty()) throw Error(failure);
    return library;
}

}  // namespace berth

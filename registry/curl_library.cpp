#include "registry/curl_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "common/error.hpp"

namespace berth::registry {
namespace {

constexpr const char* library_name = "libcurl.so.4";

template <typename Function>
void resolve(void* handle, const char* name, Function& function) {
    function = reinterpret_cast<Function>(::dlsym(handle, name));
    if (function == nullptr) throw Error(std::string("load ") + library_name + ": no symbol " + name);
}

CurlLibrary load() {
    void* handle = ::dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
        throw Error(std::string("load ") + library_name + ": " + ::dlerror() + " (install the libcurl4 package)");
    CurlLibrary library{};
    resolve(handle, "curl_global_init", library.global_init);
    resolve(handle, "curl_easy_init", library.easy_init);
    resolve(handle, "curl_easy_cleanup", library.easy_cleanup);
    resolve(handle, "curl_easy_reset", library.easy_reset);
    resolve(handle, "curl_easy_setopt", library.easy_setopt);
    resolve(handle, "curl_easy_getinfo", library.easy_getinfo);
    resolve(handle, "curl_easy_perform", library.easy_perform);
    resolve(handle, "curl_easy_strerror", library.easy_strerror);
    resolve(handle, "curl_free", library.free);
    resolve(handle, "curl_slist_append", library.slist_append);
    resolve(handle, "curl_slist_free_all", library.slist_free_all);
    resolve(handle, "curl_url", library.url);
    resolve(handle, "curl_url_cleanup", library.url_cleanup);
    resolve(handle, "curl_url_get", library.url_get);
    resolve(handle, "curl_url_set", library.url_set);
    if (library.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("curl_global_init failed");
    return library;  // the handle stays open for the life of the process
}

}  // namespace

const CurlLibrary& libcurl() {
    static std::once_flag once;
    static CurlLibrary library;
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

}  // namespace berth::registry

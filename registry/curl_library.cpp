#include "registry/curl_library.hpp"

#include "common/error.hpp"
#include "common/shared_library.hpp"

namespace berth::registry {
namespace {

CurlLibrary load() {
    SharedLibrary handle("libcurl.so.4", "libcurl4");
    CurlLibrary library{};
    handle.resolve("curl_global_init", library.global_init);
    handle.resolve("curl_easy_init", library.easy_init);
    handle.resolve("curl_easy_cleanup", library.easy_cleanup);
    handle.resolve("curl_easy_reset", library.easy_reset);
    handle.resolve("curl_easy_setopt", library.easy_setopt);
    handle.resolve("curl_easy_getinfo", library.easy_getinfo);
    handle.resolve("curl_easy_perform", library.easy_perform);
    handle.resolve("curl_easy_strerror", library.easy_strerror);
    handle.resolve("curl_free", library.free);
    handle.resolve("curl_slist_append", library.slist_append);
    handle.resolve("curl_slist_free_all", library.slist_free_all);
    handle.resolve("curl_url", library.url);
    handle.resolve("curl_url_cleanup", library.url_cleanup);
    handle.resolve("curl_url_get", library.url_get);
    handle.resolve("curl_url_set", library.url_set);
    if (library.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("curl_global_init failed");
    return library;
}

}  // namespace

const CurlLibrary& libcurl() { return load_once(load); }

}  // namespace berth::registry

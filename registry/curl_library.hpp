// libcurl, loaded when a command first talks to a registry. Linking it would make every berth command load it
// and the thirty-odd libraries it needs at start-up, a large part of the start-up time of commands such as
// `berth images` or `berth run` that never use the network.
#pragma once

#include <curl/curl.h>

namespace berth::registry {

struct CurlLibrary {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_reset) easy_reset;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_perform) easy_perform;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_free) free;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
    decltype(&::curl_url) url;
    decltype(&::curl_url_cleanup) url_cleanup;
    decltype(&::curl_url_get) url_get;
    decltype(&::curl_url_set) url_set;
};

// The library, loaded (and curl_global_init called) once per process; throws Error naming the library and
// the package to install when it cannot be loaded.
const CurlLibrary& libcurl();

}  // namespace berth::registry

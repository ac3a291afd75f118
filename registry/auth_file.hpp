// Registry credentials stored on disk, in the auth.json format of Podman and containers-auth.json(5), which is also
// the "auths" part of Docker's ~/.docker/config.json:
//
//   {"auths": {"<key>": {"auth": "<base64 of username:password>"}}}
//
// A key is a registry ("quay.io", "localhost:5000"), a namespace or repository in it ("quay.io/team",
// "quay.io/team/app"), or one of the URL forms that older docker login wrote ("https://index.docker.io/v1/",
// "https://quay.io").
//
// Which files (the same rules as Podman, except where said):
// - Written by login and logout: --authfile, else $REGISTRY_AUTH_FILE, else the default file:
//   $XDG_RUNTIME_DIR/containers/auth.json when XDG_RUNTIME_DIR is set, else /run/containers/0/auth.json for root,
//   else $XDG_CONFIG_HOME/containers/auth.json (default ~/.config/containers/auth.json). Podman uses
//   /run/containers/<uid>/auth.json for every uid in that last case, a directory an unprivileged user usually cannot
//   create; berth uses the per-user file that Podman reads anyway.
// - Read for credentials: --authfile or $REGISTRY_AUTH_FILE alone when one is given (Podman goes on to the files
//   below; berth keeps to the file the user named); else the default file, then
//   $XDG_CONFIG_HOME/containers/auth.json (default ~/.config/containers/auth.json), then ~/.docker/config.json.
//   The first file with usable credentials for the image wins.
// Within a file the most specific key wins, as in containers/image: for quay.io/team/app, "quay.io/team/app", then
// "quay.io/team", then "quay.io", then the URL forms of the registry ("https://quay.io/v1/"; docker.io,
// index.docker.io and registry-1.docker.io are one registry).
//
// Files are written atomically, mode 0600, in directories created with mode 0700, keeping whatever else they hold
// (credHelpers, Docker's other settings). Credential helpers and identity tokens are not used.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/auth.hpp"

namespace berth::registry {

// What the auth file locations depend on, read once from the process environment.
struct AuthEnvironment {
    uid_t uid = 0;
    std::string home;
    std::optional<std::string> xdg_runtime_dir;
    std::optional<std::string> xdg_config_home;
    std::optional<std::string> registry_auth_file;  // $REGISTRY_AUTH_FILE

    static AuthEnvironment from_process();
};

// The default file of login and logout (see above).
std::string default_auth_file(const AuthEnvironment& env);

// The file login and logout write: authfile_option (--authfile) when not empty, else $REGISTRY_AUTH_FILE, else the
// default file.
std::string auth_file_for_writing(const AuthEnvironment& env, const std::string& authfile_option);

// The files searched for credentials, in order (see above). They need not exist.
std::vector<std::string> auth_files_for_reading(const AuthEnvironment& env, const std::string& authfile_option);

// Whether --authfile or $REGISTRY_AUTH_FILE names the file to use.
bool auth_file_is_given(const AuthEnvironment& env, const std::string& authfile_option);

// The key that `login` and `logout` store credentials under, from what the user typed: "host[:port]" or
// "host[:port]/namespace[/repository]"; "http(s)://host[:port]/anything" is taken as "host[:port]", as Podman does.
// Throws Error for anything else, such as an image reference with a tag or digest ("reference \"<text>\" contains a
// tag or digest") or a path without a registry in front of it.
std::string auth_key(std::string_view text);

// The registry part (host[:port]) of a key that auth_key accepted.
std::string auth_key_registry(std::string_view key);

// The parsed content of one auth file.
class AuthFile {
public:
    // The file at path; an empty one when it does not exist. Throws Error("invalid auth file <path>: <why>") when it
    // is not JSON, not an object, or its "auths" is not an object of objects.
    static AuthFile load(const std::string& path);
    // Parses text as the content of the file at path (named in errors). Empty or blank text is an empty file.
    static AuthFile parse(std::string_view text, const std::string& path);

    const std::string& path() const { return path_; }

    // The credentials for an image repository ("quay.io/team/app") or a registry ("quay.io") in this file: those of
    // the most specific key (see above). Nothing when no key matches or the matching entry holds no usable
    // credentials (no "auth", or no ':' in it, as Docker writes for credential helpers). Throws Error naming the
    // file and the key when that entry's "auth" is not base64.
    std::optional<Credentials> find(std::string_view repository) const;

    // The credentials stored under exactly this key, if any (as find reads them).
    std::optional<Credentials> get(std::string_view key) const;

    // Stores credentials under key, replacing the entry there.
    void set(const std::string& key, const Credentials& credentials);

    // Removes the entry under key; for a registry key ("quay.io"), also the URL forms of the same registry
    // ("https://quay.io"). Returns whether anything was removed.
    bool remove(std::string_view key);

    // Removes every entry.
    void clear();

    // The keys of the entries, sorted.
    std::vector<std::string> keys() const;

    // The file's JSON text, indented, ending with a newline.
    std::string text() const;

private:
    AuthFile(std::string path, nlohmann::json document);

    std::optional<Credentials> decode(const std::string& key, const nlohmann::json& entry) const;

    std::string path_;
    nlohmann::json document_;
};

// Loads the file at path under an exclusive lock on its directory (created with mode 0700 when missing), lets
// change modify it, and writes it back atomically with mode 0600 when change returns true. Concurrent updates of one
// file wait for each other, so none is lost.
void update_auth_file(const std::string& path, const std::function<bool(AuthFile&)>& change);

// Credentials found for an image, and where.
struct StoredCredentials {
    Credentials credentials;
    std::string file;
};

// Searches files in order (missing ones are skipped) for the credentials of repository ("quay.io/team/app") or a
// registry ("quay.io"), as AuthFile::find; the first file that has some wins.
std::optional<StoredCredentials> find_credentials(const std::vector<std::string>& files, std::string_view repository);

}  // namespace berth::registry

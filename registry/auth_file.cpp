#include "registry/auth_file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"
#include "registry/reference.hpp"

namespace berth::registry {
namespace {

using nlohmann::json;

constexpr std::string_view auth_file_name = "containers/auth.json";
constexpr std::string_view root_auth_file = "/run/containers/0/auth.json";
constexpr std::string_view docker_config_file = ".docker/config.json";

std::optional<std::string> environment_value(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

std::string config_home(const AuthEnvironment& env) {
    if (env.xdg_config_home) return *env.xdg_config_home;
    return env.home.empty() ? std::string() : env.home + "/.config";
}

// The per-user file that Podman reads after the default one; empty without a home directory.
std::string user_config_auth_file(const AuthEnvironment& env) {
    std::string base = config_home(env);
    return base.empty() ? std::string() : base + "/" + std::string(auth_file_name);
}

std::string parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// The value of one base64 digit (standard alphabet), or -1.
int base64_digit(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Decodes standard base64, with or without its '=' padding; nothing when text is not base64.
std::optional<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string bytes;
    unsigned group = 0;
    int bits = 0;
    for (char c : text) {
        int digit = base64_digit(c);
        if (digit < 0) return std::nullopt;
        group = (group << 6) | static_cast<unsigned>(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes += static_cast<char>((group >> bits) & 0xff);
        }
    }
    return bytes;
}

// docker.io and its other names are one registry.
std::string normalize_registry(std::string_view registry) {
    if (registry == "docker.io" || registry == "registry-1.docker.io") return "index.docker.io";
    return std::string(registry);
}

// The registry a key stands for when it is compared as a whole: "https://quay.io/v1/" and "https://quay.io" are
// quay.io, "https://index.docker.io/v1/" is index.docker.io; keys without a scheme stay as they are.
std::string normalize_key(std::string_view key) {
    std::string_view stripped = key;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (stripped.starts_with(scheme)) stripped.remove_prefix(scheme.size());
    }
    if (stripped.size() != key.size()) stripped = stripped.substr(0, stripped.find('/'));
    return normalize_registry(stripped);
}

const json* auths_of(const json& document) {
    auto auths = document.find("auths");
    return auths == document.end() ? nullptr : &*auths;
}

}  // namespace

AuthEnvironment AuthEnvironment::from_process() {
    AuthEnvironment env;
    env.uid = ::geteuid();
    if (auto home = environment_value("HOME")) {
        env.home = *home;
    } else if (const passwd* entry = ::getpwuid(env.uid); entry != nullptr && entry->pw_dir != nullptr) {
        env.home = entry->pw_dir;
    }
    env.xdg_runtime_dir = environment_value("XDG_RUNTIME_DIR");
    env.xdg_config_home = environment_value("XDG_CONFIG_HOME");
    env.registry_auth_file = environment_value("REGISTRY_AUTH_FILE");
    return env;
}

std::string default_auth_file(const AuthEnvironment& env) {
    if (env.xdg_runtime_dir) return *env.xdg_runtime_dir + "/" + std::string(auth_file_name);
    if (env.uid == 0) return std::string(root_auth_file);
    std::string file = user_config_auth_file(env);
    if (file.empty()) throw Error("cannot choose an auth file: neither XDG_RUNTIME_DIR nor HOME is set");
    return file;
}

bool auth_file_is_given(const AuthEnvironment& env, const std::string& authfile_option) {
    return !authfile_option.empty() || env.registry_auth_file.has_value();
}

std::string auth_file_for_writing(const AuthEnvironment& env, const std::string& authfile_option) {
    if (!authfile_option.empty()) return authfile_option;
    if (env.registry_auth_file) return *env.registry_auth_file;
    if (env.xdg_runtime_dir) {
        struct stat st {};
        if (::stat(env.xdg_runtime_dir->c_str(), &st) != 0 && errno == ENOENT) {
            throw Error("$XDG_RUNTIME_DIR directory " + in_quotes(*env.xdg_runtime_dir) +
                        " does not exist: create it or unset XDG_RUNTIME_DIR");
        }
    }
    return default_auth_file(env);
}

std::vector<std::string> auth_files_for_reading(const AuthEnvironment& env, const std::string& authfile_option) {
    if (!authfile_option.empty()) return {authfile_option};
    if (env.registry_auth_file) return {*env.registry_auth_file};
    std::vector<std::string> files;
    auto add = [&](std::string file) {
        if (!file.empty() && std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
    };
    if (env.xdg_runtime_dir || env.uid == 0) add(default_auth_file(env));
    add(user_config_auth_file(env));
    if (!env.home.empty()) add(env.home + "/" + std::string(docker_config_file));
    return files;
}

std::string auth_key(std::string_view text) {
    std::string key(text);
    for (std::string_view scheme : {"http://", "https://"}) {
        if (text.starts_with(scheme)) {
            std::string_view rest = text.substr(scheme.size());
            key = std::string(rest.substr(0, rest.find_first_of("/?#")));
            if (key.empty()) throw Error("invalid registry " + in_quotes(text) + ": the URL has no host");
            break;
        }
    }
    if (key.empty()) throw Error("invalid registry \"\": expected host[:port] or host[:port]/repository");
    std::string host = key.substr(0, key.find('/'));
    bool has_path = host.size() < key.size();
    // A tag or digest on a name without a path ("busybox:latest") reads as a host with a bad port otherwise.
    auto colon = host.rfind(':');
    bool tagged_name =
        host.find('@') != std::string::npos || (colon != std::string::npos && host.find(']') == std::string::npos &&
                                                !parse_unsigned(std::string_view(host).substr(colon + 1)));
    if (!has_path && tagged_name) throw Error("reference " + in_quotes(text) + " contains a tag or digest");
    Reference parsed;
    try {
        parsed = parse_reference(has_path ? key : host + "/x");
    } catch (const Error&) {
        throw Error("invalid registry " + in_quotes(text) + ": expected host[:port] or host[:port]/repository");
    }
    if (!parsed.tag.empty() || !parsed.digest.empty()) {
        throw Error("reference " + in_quotes(text) + " contains a tag or digest");
    }
    if (has_path && parsed.domain != host) {
        throw Error("invalid registry " + in_quotes(text) + ": " + in_quotes(host) + " is not a registry host");
    }
    return key;
}

std::string auth_key_registry(std::string_view key) { return std::string(key.substr(0, key.find('/'))); }

AuthFile::AuthFile(std::string path, json document) : path_(std::move(path)), document_(std::move(document)) {}

AuthFile AuthFile::load(const std::string& path) {
    std::optional<std::string> text;
    try {
        text = read_file_if_exists(path);
    } catch (const Error& error) {
        throw Error("reading auth file " + path + ": " + error.what());
    }
    return parse(text.value_or(""), path);
}

AuthFile AuthFile::parse(std::string_view text, const std::string& path) {
    if (trim(text).empty()) return AuthFile(path, json::object());
    std::string context = "invalid auth file " + path + ": ";
    json document = json::parse(text, nullptr, false);
    if (document.is_discarded()) throw Error(context + "not valid JSON");
    if (!document.is_object()) throw Error(context + "not a JSON object");
    if (const json* auths = auths_of(document)) {
        if (!auths->is_object()) throw Error(context + "\"auths\" is not an object");
        for (const auto& [key, entry] : auths->items()) {
            if (!entry.is_object()) throw Error(context + "the entry " + in_quotes(key) + " is not an object");
            auto auth = entry.find("auth");
            if (auth != entry.end() && !auth->is_string() && !auth->is_null()) {
                throw Error(context + "\"auth\" of " + in_quotes(key) + " is not a string");
            }
        }
    }
    return AuthFile(path, std::move(document));
}

std::optional<Credentials> AuthFile::decode(const std::string& key, const json& entry) const {
    auto auth = entry.find("auth");
    if (auth == entry.end() || !auth->is_string()) return std::nullopt;
    const std::string& encoded = auth->get_ref<const std::string&>();
    if (encoded.empty()) return std::nullopt;  // what Docker writes for a credential helper
    auto decoded = base64_decode(encoded);
    if (!decoded) throw Error("invalid auth file " + path_ + ": \"auth\" of " + in_quotes(key) + " is not base64");
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;  // skipped, as Docker and Podman do
    Credentials credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
    while (!credentials.password.empty() && credentials.password.back() == '\0') credentials.password.pop_back();
    if (credentials.username.empty() || credentials.password.empty()) return std::nullopt;
    return credentials;
}

std::optional<Credentials> AuthFile::get(std::string_view key) const {
    const json* auths = auths_of(document_);
    if (auths == nullptr) return std::nullopt;
    auto entry = auths->find(std::string(key));
    if (entry == auths->end()) return std::nullopt;
    return decode(std::string(key), *entry);
}

std::optional<Credentials> AuthFile::find(std::string_view repository) const {
    const json* auths = auths_of(document_);
    if (auths == nullptr) return std::nullopt;
    // "host/a/b", then "host/a", then "host": the first key present decides.
    std::string candidate(repository);
    for (;;) {
        auto entry = auths->find(candidate);
        if (entry != auths->end()) return decode(candidate, *entry);
        auto slash = candidate.rfind('/');
        if (slash == std::string::npos) break;
        candidate.resize(slash);
    }
    // Then keys naming the same registry in another form (URLs, docker.io's other names), in key order.
    std::string registry = normalize_registry(candidate);
    for (const auto& [key, entry] : auths->items()) {
        if (normalize_key(key) == registry) return decode(key, entry);
    }
    return std::nullopt;
}

void AuthFile::set(const std::string& key, const Credentials& credentials) {
    json& auths = document_["auths"];
    if (!auths.is_object()) auths = json::object();
    auths[key] = {{"auth", base64_encode(credentials.username + ":" + credentials.password)}};
}

bool AuthFile::remove(std::string_view key) {
    auto auths = document_.find("auths");
    if (auths == document_.end() || !auths->is_object()) return false;
    bool removed = auths->erase(std::string(key)) > 0;
    if (key.find('/') == std::string_view::npos) {
        std::string registry = normalize_registry(key);
        for (const std::string& other : keys()) {
            if (other.starts_with("http://") || other.starts_with("https://")) {
                if (normalize_key(other) == registry) removed = auths->erase(other) > 0 || removed;
            }
        }
    }
    return removed;
}

void AuthFile::clear() { document_["auths"] = json::object(); }

std::vector<std::string> AuthFile::keys() const {
    std::vector<std::string> names;
    if (const json* auths = auths_of(document_)) {
        for (const auto& item : auths->items()) names.push_back(item.key());
    }
    return names;  // nlohmann::json objects keep their keys sorted
}

std::string AuthFile::text() const {
    json document = document_;
    if (!document.contains("auths")) document["auths"] = json::object();
    return document.dump(1, '\t') + "\n";
}

void update_auth_file(const std::string& path, const std::function<bool(AuthFile&)>& change) {
    std::string directory = parent_directory(path);
    make_directories(directory, 0700);
    UniqueFd lock(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock) throw_last_errno("open " + directory);
    while (::flock(lock.get(), LOCK_EX) != 0) {
        if (errno != EINTR) throw_last_errno("lock " + directory);
    }
    AuthFile file = AuthFile::load(path);
    if (!change(file)) return;
    write_file_atomic(path, file.text(), 0600);
}

std::optional<StoredCredentials> find_credentials(const std::vector<std::string>& files, std::string_view repository) {
    for (const std::string& path : files) {
        if (auto credentials = AuthFile::load(path).find(repository)) return StoredCredentials{*credentials, path};
    }
    return std::nullopt;
}

}  // namespace berth::registry

// registries.conf: where short names are searched for and where images are really pulled from, as in
// containers-registries.conf(5) (version 2; version 1 tables are converted like Podman does).
//
// Files are found as Podman finds them: only $CONTAINERS_REGISTRIES_CONF when that is set; else
// $HOME/.config/containers/registries.conf when it exists, with the drop-ins of
// $HOME/.config/containers/registries.conf.d; else /etc/containers/registries.conf with the drop-ins of
// /etc/containers/registries.conf.d and then of $HOME/.config/containers/registries.conf.d. Drop-ins are the
// "*.conf" files of those directories in name order; each one overrides what came before it: a [[registry]] with the
// same prefix replaces the earlier one, [aliases] entries are merged name by name (an empty value removes an alias),
// and unqualified-search-registries and short-name-mode replace earlier values when the drop-in sets them.
//
// The keys berth uses:
//   unqualified-search-registries = ["host[:port]", ...]   registries to try for a short name, in order
//   short-name-mode = "enforcing" | "permissive" | "disabled"   (default permissive)
//   [[registry]]  prefix, location, insecure, blocked, mirror-by-digest-only
//   [[registry.mirror]]  location, insecure, pull-from-mirror ("all", "digest-only", "tag-only")
//   [aliases]  "short/name" = "registry.example.com/full/name"
// Other keys (credential-helpers, ...) are accepted and ignored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/reference.hpp"

namespace berth::registry {

enum class ShortNameMode { enforcing, permissive, disabled };

// A place to pull from: a registry's own location or one of its mirrors.
struct Endpoint {
    // host[:port] with an optional namespace, without a trailing "/". Empty only for a registry whose prefix is a
    // "*.example.com" wildcard: images are then pulled from where their names say.
    std::string location;
    bool insecure = false;         // plain HTTP, no TLS
    std::string pull_from_mirror;  // mirrors only: "" or "all", "digest-only", "tag-only"

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// One [[registry]] table.
struct RegistryConfig {
    // The names it applies to: "host[:port]", "host[:port]/namespace..." or "*.example.com" (any subdomain).
    // Defaults to the location.
    std::string prefix;
    Endpoint endpoint;
    std::vector<Endpoint> mirrors;  // tried in order before the endpoint
    bool blocked = false;
    bool mirror_by_digest_only = false;
    std::string origin;  // the file that defined it

    friend bool operator==(const RegistryConfig&, const RegistryConfig&) = default;
};

struct ShortNameAlias {
    std::string target;  // a normalized fully-qualified name without tag or digest; empty: no alias (reset)
    std::string origin;  // the file that set it
};

// The merged configuration of all the files that were read.
struct RegistriesConf {
    std::optional<std::vector<std::string>> unqualified_search_registries;
    std::string search_registries_origin;  // the file that set unqualified_search_registries
    std::optional<ShortNameMode> short_name_mode;
    std::vector<RegistryConfig> registries;         // one per prefix, sorted by prefix
    std::map<std::string, ShortNameAlias> aliases;  // by short name ("busybox", "library/busybox")
    std::vector<std::string> files;                 // the files read, in order
    std::string main_file;                          // registries.conf as looked for, even when it does not exist
};

// Where the configuration is read from.
struct RegistriesConfPaths {
    std::string file;                       // registries.conf
    bool file_required = false;             // an error when it does not exist (it was named explicitly)
    std::vector<std::string> drop_in_dirs;  // registries.conf.d directories, in order
};

// What registries_conf_paths looks at.
struct RegistriesConfEnvironment {
    std::optional<std::string> override_file;    // $CONTAINERS_REGISTRIES_CONF (set and not empty)
    std::string home;                            // $HOME, else the user's home from the password database
    std::string system_dir = "/etc/containers";  // where registries.conf and registries.conf.d live system-wide

    static RegistriesConfEnvironment from_process();
};

// The files to read, as Podman chooses them (see the top of this file). Checks whether the per-user file exists.
RegistriesConfPaths registries_conf_paths(const RegistriesConfEnvironment& environment);

// Parses the text of one file; path is used in errors and as the origin of what it sets. Drop-ins must use the
// version 2 format. Throws Error("invalid registries configuration <path>: line <n>[, column <c>]: <what>") for
// malformed TOML, values of the wrong type and invalid settings (a location with a URI scheme, a wildcard prefix
// with a port or a path, a mirror without location, an alias with a tag, ...).
RegistriesConf parse_registries_conf(std::string_view text, const std::string& path, bool drop_in = false);

// Applies a drop-in on top of what came before (see the top of this file).
void merge_registries_conf(RegistriesConf& base, RegistriesConf drop_in);

// Reads and merges the files; missing ones are skipped (except a required main file), unreadable or malformed ones
// are an Error naming the file.
RegistriesConf load_registries_conf(const RegistriesConfPaths& paths);

// The fully-qualified references to try for what the user typed, in order.
struct ShortNameResolution {
    std::vector<Reference> candidates;  // normalized, with the user's tag or digest (or "latest")
    // For the user, as Podman prints it: `Resolved "busybox" as an alias (<file>)` or
    // `Resolving "busybox" using unqualified-search registries (<file>)`; empty for a fully-qualified name.
    std::string description;
};

// Resolves the user's text: a fully-qualified name is itself; a short name with an alias is the alias (with the
// user's tag or digest); else each unqualified-search registry in order. berth never prompts: with several search
// registries and short-name-mode "enforcing" it is an Error, as in Podman without a terminal ("short-name resolution
// enforced but cannot prompt without a TTY"); terminal says whether stdin and stdout are one, for the message.
// Throws Error for a malformed reference and when a short name has no alias and there are no search registries:
// `short-name "busybox" did not resolve to an alias and no unqualified-search registries are defined in <files>`.
ShortNameResolution resolve_short_name(const RegistriesConf& conf, std::string_view user_text, bool terminal = false);

// The [[registry]] whose prefix matches name (domain/path, as Reference::name()) the longest, or null. A prefix
// matches the whole name or a part of it followed by ':', '/' or '@'; "*.example.com" matches any name whose domain
// ends with ".example.com" (with or without a port).
const RegistryConfig* find_registry(const RegistriesConf& conf, std::string_view name);

// One place to try for a reference.
struct PullSource {
    Reference reference;  // the reference rewritten for this location (what to ask that registry for)
    bool insecure = false;
    bool mirror = false;
};

// Where to pull a normalized fully-qualified reference from: the matching registry's mirrors in order (as allowed
// by mirror-by-digest-only and pull-from-mirror), then its location; the reference itself when no registry matches.
// Throws Error("registry <prefix> is blocked in <file>") for a blocked registry.
std::vector<PullSource> pull_sources(const RegistriesConf& conf, const Reference& reference);

// Whether to talk TLS and verify certificates at a source, as Podman decides: --tls-verify when it was given
// (true even for a registry that registries.conf marks insecure, false even for one it does not), else not for an
// insecure source. false means plain HTTP.
bool verify_tls(std::optional<bool> tls_verify_flag, const PullSource& source);

}  // namespace berth::registry

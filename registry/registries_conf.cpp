#include "registry/registries_conf.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/error.hpp"
#include "common/files.hpp"

namespace berth::registry {
namespace {

constexpr auto npos = std::string_view::npos;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string joined;
    for (const auto& item : items) {
        if (!joined.empty()) joined += separator;
        joined += item;
    }
    return joined;
}

const char* type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time: return "a date or time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

bool is_domain_component(std::string_view text) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (text.empty() || !alnum(text.front()) || !alnum(text.back())) return false;
    return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// Whether text is a registry host[:port] as references accept it, such as "quay.io", "localhost:5000",
// "[::1]:5000" or "myregistry".
bool is_registry_domain(std::string_view text) {
    if (text.empty() || text.find('/') != npos) return false;
    if (text.find_first_of(".:[") == npos) return is_domain_component(text);
    try {
        return parse_reference(std::string(text) + "/x").domain == text;
    } catch (const Error&) {
        return false;
    }
}

// Parses one file, with errors naming it and the line.
class FileParser {
public:
    FileParser(const std::string& path, bool drop_in) : path_(path), drop_in_(drop_in) {}

    RegistriesConf parse(std::string_view text) {
        toml::table document;
        try {
            document = toml::parse(text, std::string_view(path_));
        } catch (const toml::parse_error& error) {
            const auto& begin = error.source().begin;
            throw Error(prefix(begin.line) + ", column " + std::to_string(begin.column) + ": " +
                        std::string(error.description()));
        }
        RegistriesConf conf;
        conf.files.push_back(path_);
        const toml::node* v1 = nullptr;
        bool has_v2 = false;
        for (auto&& [key, node] : document) {
            std::string name(key.str());
            if (name == "unqualified-search-registries") {
                auto entries = string_array(node, name);
                for (auto& entry : entries) {
                    entry = location(node, entry);
                    if (!is_registry_domain(entry))
                        fail(node,
                             "invalid unqualified-search-registries entry " + quoted(entry) + ": expected host[:port]");
                }
                has_v2 = has_v2 || !entries.empty();
                conf.unqualified_search_registries = std::move(entries);
                conf.search_registries_origin = path_;
            } else if (name == "short-name-mode") {
                std::string mode = string_value(node, name);
                if (mode == "enforcing")
                    conf.short_name_mode = ShortNameMode::enforcing;
                else if (mode == "permissive")
                    conf.short_name_mode = ShortNameMode::permissive;
                else if (mode == "disabled")
                    conf.short_name_mode = ShortNameMode::disabled;
                else if (!mode.empty())
                    fail(node, "invalid short-name-mode " + quoted(mode) +
                                   ": expected \"enforcing\", \"permissive\" or \"disabled\"");
                has_v2 = has_v2 || !mode.empty();
            } else if (name == "registry") {
                const auto* tables = node.as_array();
                if (tables == nullptr) fail(node, "registry must be an array of tables ([[registry]])");
                for (const auto& element : *tables) conf.registries.push_back(registry(element));
                has_v2 = has_v2 || !tables->empty();
            } else if (name == "aliases") {
                aliases(node, conf);
                has_v2 = has_v2 || !conf.aliases.empty();
            } else if (name == "registries") {
                v1 = &node;
            } else if (name == "credential-helpers" || name == "additional-layer-store-auth-helper") {
                has_v2 = true;  // understood by Podman, not used by berth
            }
        }
        if (v1 != nullptr) convert_v1(*v1, conf, has_v2);
        check_registries(conf);
        return conf;
    }

private:
    const std::string& path_;
    bool drop_in_;

    std::string prefix(uint32_t line) const {
        return "invalid registries configuration " + path_ + ": line " + std::to_string(line);
    }

    [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
        throw Error(prefix(node.source().begin.line) + ": " + what);
    }

    std::string string_value(const toml::node& node, std::string_view key) const {
        if (const auto* value = node.as_string()) return value->get();
        fail(node, std::string(key) + " must be a string, not " + type_name(node.type()));
    }

    bool bool_value(const toml::node& node, std::string_view key) const {
        if (const auto* value = node.as_boolean()) return value->get();
        fail(node, std::string(key) + " must be true or false, not " + type_name(node.type()));
    }

    std::vector<std::string> string_array(const toml::node& node, std::string_view key) const {
        const auto* array = node.as_array();
        if (array == nullptr)
            fail(node, std::string(key) + " must be an array of strings, not " + type_name(node.type()));
        std::vector<std::string> values;
        for (const auto& element : *array) values.push_back(string_value(element, std::string(key) + " entries"));
        return values;
    }

    // A location or prefix without trailing slashes; URI schemes are refused.
    std::string location(const toml::node& node, std::string_view text) const {
        std::string trimmed(text);
        while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
        if (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
            fail(node, "invalid location " + quoted(text) + ": URI schemes are not supported");
        return trimmed;
    }

    Endpoint mirror(const toml::node& node) const {
        const auto* table = node.as_table();
        if (table == nullptr)
            fail(node, "mirror must be a table ([[registry.mirror]]), not " + std::string(type_name(node.type())));
        Endpoint endpoint;
        for (auto&& [key, value] : *table) {
            std::string name(key.str());
            if (name == "location")
                endpoint.location = location(value, string_value(value, "mirror location"));
            else if (name == "insecure")
                endpoint.insecure = bool_value(value, "mirror insecure");
            else if (name == "pull-from-mirror")
                endpoint.pull_from_mirror = string_value(value, "pull-from-mirror");
        }
        if (endpoint.location.empty()) fail(node, "[[registry.mirror]] has no location");
        const auto& how = endpoint.pull_from_mirror;
        if (!how.empty() && how != "all" && how != "digest-only" && how != "tag-only")
            fail(node, "invalid pull-from-mirror " + quoted(how) + " for mirror " + endpoint.location +
                           ": expected \"all\", \"digest-only\" or \"tag-only\"");
        return endpoint;
    }

    RegistryConfig registry(const toml::node& node) const {
        const auto* table = node.as_table();
        if (table == nullptr) fail(node, "registry must be an array of tables ([[registry]])");
        RegistryConfig config;
        config.origin = path_;
        const toml::node* mirrors = nullptr;
        for (auto&& [key, value] : *table) {
            std::string name(key.str());
            if (name == "prefix")
                config.prefix = location(value, string_value(value, "prefix"));
            else if (name == "location")
                config.endpoint.location = location(value, string_value(value, "location"));
            else if (name == "insecure")
                config.endpoint.insecure = bool_value(value, "insecure");
            else if (name == "blocked")
                config.blocked = bool_value(value, "blocked");
            else if (name == "mirror-by-digest-only")
                config.mirror_by_digest_only = bool_value(value, name);
            else if (name == "pull-from-mirror")
                fail(value, "pull-from-mirror is only for [[registry.mirror]]");
            else if (name == "mirror")
                mirrors = &value;
        }
        if (config.prefix.empty()) {
            if (config.endpoint.location.empty()) fail(node, "[[registry]] has neither prefix nor location");
            config.prefix = config.endpoint.location;
        } else if (config.prefix.starts_with("*.")) {
            if (config.prefix.find_first_of("/@:") != npos)
                fail(node, "invalid prefix " + quoted(config.prefix) +
                               ": a wildcard prefix must be a bare domain such as *.example.com");
        } else if (config.endpoint.location.empty()) {
            fail(node, "[[registry]] with prefix " + quoted(config.prefix) +
                           " has no location (only a *.example.com prefix may go without one)");
        }
        if (mirrors != nullptr) {
            const auto* array = mirrors->as_array();
            if (array == nullptr) fail(*mirrors, "mirror must be an array of tables ([[registry.mirror]])");
            for (const auto& element : *array) {
                config.mirrors.push_back(mirror(element));
                if (config.mirror_by_digest_only && !config.mirrors.back().pull_from_mirror.empty())
                    fail(element, "mirror " + config.mirrors.back().location +
                                      " sets pull-from-mirror but its registry sets mirror-by-digest-only");
            }
        }
        return config;
    }

    void aliases(const toml::node& node, RegistriesConf& conf) const {
        const auto* table = node.as_table();
        if (table == nullptr) fail(node, "aliases must be a table, not " + std::string(type_name(node.type())));
        for (auto&& [key, value] : *table) {
            std::string name(key.str());
            std::string target = string_value(value, "alias " + quoted(name));
            Reference short_name;
            try {
                short_name = parse_reference(name);
            } catch (const Error& error) {
                fail(value, "invalid short name " + quoted(name) + ": " + error.what());
            }
            if (!short_name.tag.empty() || !short_name.digest.empty())
                fail(value, "invalid short name " + quoted(name) + ": must not contain a tag or digest");
            if (!short_name.domain.empty())
                fail(value, "invalid short name " + quoted(name) + ": must not contain a registry");
            if (!target.empty()) {
                Reference full;
                try {
                    full = parse_reference(target);
                } catch (const Error& error) {
                    fail(value, "invalid alias " + quoted(name) + " = " + quoted(target) + ": " + error.what());
                }
                if (!full.tag.empty() || !full.digest.empty())
                    fail(value, "invalid alias " + quoted(name) + " = " + quoted(target) +
                                    ": must not contain a tag or digest");
                if (full.domain.empty())
                    fail(value, "invalid alias " + quoted(name) + " = " + quoted(target) +
                                    ": must contain a registry and a repository");
                target = normalize_reference(full).name();
            }
            conf.aliases[name] = ShortNameAlias{target, path_};
        }
    }

    // [registries.search], [registries.insecure] and [registries.block] of version 1, turned into version 2.
    void convert_v1(const toml::node& node, RegistriesConf& conf, bool has_v2) const {
        const auto* table = node.as_table();
        if (table == nullptr) fail(node, "registries must be a table, not " + std::string(type_name(node.type())));
        std::vector<std::string> search, insecure, block;
        for (auto&& [key, value] : *table) {
            std::string name(key.str());
            auto* list = name == "search"     ? &search
                         : name == "insecure" ? &insecure
                         : name == "block"    ? &block
                                              : nullptr;
            if (list == nullptr) continue;
            const auto* section = value.as_table();
            if (section == nullptr) fail(value, "registries." + name + " must be a table");
            if (const auto* registries = section->get("registries"))
                *list = string_array(*registries, "registries." + name + ".registries");
        }
        if (search.empty() && insecure.empty() && block.empty()) return;
        if (drop_in_) fail(node, "drop-in configurations must use the version 2 format, not [registries.*] tables");
        if (has_v2) fail(node, "mixing the version 1 format ([registries.*]) with version 2 is not supported");
        auto entry = [&](const std::string& text) -> RegistryConfig& {
            std::string where = location(node, text);
            for (auto& config : conf.registries)
                if (config.endpoint.location == where) return config;
            RegistryConfig config;
            config.prefix = where;
            config.endpoint.location = where;
            config.origin = path_;
            return conf.registries.emplace_back(std::move(config));
        };
        for (const auto& text : block) entry(text).blocked = true;
        for (const auto& text : insecure) entry(text).endpoint.insecure = true;
        for (auto& text : search) text = location(node, text);
        conf.unqualified_search_registries = std::move(search);
        conf.search_registries_origin = path_;
    }

    // Refuses conflicting settings for one location, keeps the first table of each prefix and sorts by prefix.
    void check_registries(RegistriesConf& conf) const {
        for (size_t i = 0; i < conf.registries.size(); ++i) {
            const auto& one = conf.registries[i];
            const auto& one_key = one.endpoint.location.empty() ? one.prefix : one.endpoint.location;
            for (size_t j = 0; j < i; ++j) {
                const auto& other = conf.registries[j];
                if ((other.endpoint.location.empty() ? other.prefix : other.endpoint.location) != one_key) continue;
                const char* setting = other.endpoint.insecure != one.endpoint.insecure ? "insecure"
                                      : other.blocked != one.blocked                   ? "blocked"
                                                                                       : nullptr;
                if (setting != nullptr)
                    throw Error("invalid registries configuration " + path_ + ": registry " + one_key +
                                " is defined several times with conflicting '" + setting + "' settings");
            }
        }
        std::vector<RegistryConfig> unique;
        for (auto& config : conf.registries) {
            bool seen = std::any_of(unique.begin(), unique.end(),
                                    [&](const RegistryConfig& kept) { return kept.prefix == config.prefix; });
            if (!seen) unique.push_back(std::move(config));
        }
        std::stable_sort(unique.begin(), unique.end(),
                         [](const RegistryConfig& a, const RegistryConfig& b) { return a.prefix < b.prefix; });
        conf.registries = std::move(unique);
    }
};

// The length of ref that prefix matches, or npos. A plain prefix matches all of ref or a start of it that is followed
// by ':', '/' or '@'; "*.example.com" matches a domain that ends with ".example.com" (then the same rule).
size_t prefix_match(std::string_view ref, std::string_view prefix) {
    auto boundary = [&](size_t end) {
        return end == ref.size() || ref[end] == ':' || ref[end] == '/' || ref[end] == '@' ? end : npos;
    };
    if (prefix.starts_with("*.")) {
        auto suffix = prefix.substr(1);
        size_t index = ref.find(suffix);
        if (index == npos || ref.substr(0, index).find('/') != npos) return npos;
        return boundary(index + suffix.size());
    }
    if (!ref.starts_with(prefix)) return npos;
    return boundary(prefix.size());
}

// Where the unqualified-search registries were (not) found, for messages.
std::string search_registries_source(const RegistriesConf& conf) {
    if (!conf.search_registries_origin.empty()) return conf.search_registries_origin;
    if (!conf.files.empty()) return join(conf.files, ", ");
    if (!conf.main_file.empty()) return conf.main_file + " (which does not exist)";
    return "the registries configuration";
}

std::optional<std::string> non_empty_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

RegistriesConfEnvironment RegistriesConfEnvironment::from_process() {
    RegistriesConfEnvironment environment;
    environment.override_file = non_empty_env("CONTAINERS_REGISTRIES_CONF");
    if (auto home = non_empty_env("HOME")) {
        environment.home = *home;
    } else if (const passwd* entry = ::getpwuid(::geteuid())) {
        environment.home = entry->pw_dir;
    }
    return environment;
}

RegistriesConfPaths registries_conf_paths(const RegistriesConfEnvironment& environment) {
    RegistriesConfPaths paths;
    if (environment.override_file) {
        paths.file = *environment.override_file;
        paths.file_required = true;
        return paths;
    }
    std::string user_file = environment.home.empty() ? "" : environment.home + "/.config/containers/registries.conf";
    if (!user_file.empty() && exists(user_file)) {
        paths.file = user_file;
        paths.drop_in_dirs = {user_file + ".d"};
        return paths;
    }
    paths.file = environment.system_dir + "/registries.conf";
    paths.drop_in_dirs = {paths.file + ".d"};
    if (!user_file.empty()) paths.drop_in_dirs.push_back(user_file + ".d");
    return paths;
}

RegistriesConf parse_registries_conf(std::string_view text, const std::string& path, bool drop_in) {
    return FileParser(path, drop_in).parse(text);
}

void merge_registries_conf(RegistriesConf& base, RegistriesConf drop_in) {
    std::map<std::string, RegistryConfig> by_prefix;
    for (auto& config : base.registries) by_prefix[config.prefix] = std::move(config);
    for (auto& config : drop_in.registries) by_prefix[config.prefix] = std::move(config);
    base.registries.clear();
    for (auto& entry : by_prefix) base.registries.push_back(std::move(entry.second));
    if (drop_in.unqualified_search_registries) {
        base.unqualified_search_registries = std::move(drop_in.unqualified_search_registries);
        base.search_registries_origin = std::move(drop_in.search_registries_origin);
    }
    if (drop_in.short_name_mode) base.short_name_mode = drop_in.short_name_mode;
    for (auto& [name, alias] : drop_in.aliases) base.aliases[name] = std::move(alias);
    base.files.insert(base.files.end(), drop_in.files.begin(), drop_in.files.end());
}

RegistriesConf load_registries_conf(const RegistriesConfPaths& paths) {
    RegistriesConf conf;
    std::optional<std::string> text;
    try {
        text = paths.file_required ? read_file(paths.file) : read_file_if_exists(paths.file);
    } catch (const Error& error) {
        throw Error(std::string("reading registries configuration: ") + error.what());
    }
    if (text) conf = parse_registries_conf(*text, paths.file);
    conf.main_file = paths.file;
    for (const auto& directory : paths.drop_in_dirs) {
        for (const auto& name : list_directory(directory)) {
            if (!name.ends_with(".conf")) continue;
            std::string path = directory + "/" + name;
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) {
                if (errno == ENOENT) continue;  // removed meanwhile, or a dangling link
                throw_last_errno("reading registries configuration: " + path);
            }
            if (S_ISDIR(st.st_mode)) continue;
            std::optional<std::string> drop_in;
            try {
                drop_in = read_file_if_exists(path);
            } catch (const Error& error) {
                throw Error(std::string("reading registries configuration: ") + error.what());
            }
            if (drop_in) merge_registries_conf(conf, parse_registries_conf(*drop_in, path, true));
        }
    }
    return conf;
}

ShortNameResolution resolve_short_name(const RegistriesConf& conf, std::string_view user_text, bool terminal) {
    Reference typed = parse_reference(user_text);
    ShortNameResolution resolution;
    if (!typed.domain.empty()) {
        resolution.candidates.push_back(normalize_reference(typed));
        return resolution;
    }
    if (auto alias = conf.aliases.find(typed.path); alias != conf.aliases.end() && !alias->second.target.empty()) {
        Reference target = parse_reference(alias->second.target);
        target.tag = typed.tag;
        target.digest = typed.digest;
        resolution.candidates.push_back(normalize_reference(target));
        resolution.description = "Resolved " + quoted(typed.path) + " as an alias (" + alias->second.origin + ")";
        return resolution;
    }
    const auto& registries = conf.unqualified_search_registries;
    if (!registries || registries->empty())
        throw Error("short-name " + quoted(user_text) +
                    " did not resolve to an alias and no unqualified-search registries are defined in " +
                    search_registries_source(conf));
    std::vector<std::string> names;
    for (const auto& registry : *registries) {
        try {
            resolution.candidates.push_back(
                normalize_reference(parse_reference(registry + "/" + std::string(user_text))));
        } catch (const Error& error) {
            throw Error("creating a reference with unqualified-search registry " + registry + ": " + error.what());
        }
        names.push_back(resolution.candidates.back().to_string());
    }
    resolution.description = "Resolving " + quoted(typed.path) + " using unqualified-search registries (" +
                             search_registries_source(conf) + ")";
    if (resolution.candidates.size() > 1 && conf.short_name_mode == ShortNameMode::enforcing)
        throw Error("short-name " + quoted(user_text) + " is ambiguous (" + join(names, ", ") + "): " +
                    (terminal ? "short-name resolution enforced and berth does not prompt; use a fully-qualified "
                                "name or an alias"
                              : "short-name resolution enforced but cannot prompt without a TTY"));
    return resolution;
}

const RegistryConfig* find_registry(const RegistriesConf& conf, std::string_view name) {
    const RegistryConfig* found = nullptr;
    for (const auto& config : conf.registries) {
        if (prefix_match(name, config.prefix) == npos) continue;
        if (found == nullptr || config.prefix.size() > found->prefix.size()) found = &config;
    }
    return found;
}

std::vector<PullSource> pull_sources(const RegistriesConf& conf, const Reference& reference) {
    std::string name = reference.name();
    const RegistryConfig* registry = find_registry(conf, name);
    if (registry == nullptr) return {PullSource{reference, false, false}};
    if (registry->blocked) throw Error("registry " + registry->prefix + " is blocked in " + registry->origin);

    bool by_digest = !reference.digest.empty();
    std::vector<const Endpoint*> endpoints;
    for (const auto& mirror : registry->mirrors) {
        bool wanted = registry->mirror_by_digest_only            ? by_digest
                      : mirror.pull_from_mirror == "digest-only" ? by_digest
                      : mirror.pull_from_mirror == "tag-only"    ? !by_digest
                                                                 : true;
        if (wanted) endpoints.push_back(&mirror);
    }
    endpoints.push_back(&registry->endpoint);

    std::string full = reference.to_string();
    size_t matched = prefix_match(full, registry->prefix);
    std::vector<PullSource> sources;
    for (const Endpoint* endpoint : endpoints) {
        PullSource source{reference, endpoint->insecure, endpoint != &registry->endpoint};
        if (!endpoint->location.empty()) {
            std::string rewritten = endpoint->location + full.substr(matched);
            try {
                source.reference = parse_reference(rewritten);
                if (source.reference.domain.empty()) throw Error("the location names no registry");
                source.reference = normalize_reference(source.reference);
            } catch (const Error& error) {
                throw Error("rewriting " + full + " to " + rewritten + " for location " + endpoint->location + " in " +
                            registry->origin + ": " + error.what());
            }
        }
        sources.push_back(std::move(source));
    }
    return sources;
}

bool verify_tls(std::optional<bool> tls_verify_flag, const PullSource& source) {
    return tls_verify_flag.value_or(!source.insecure);
}

}  // namespace berth::registry

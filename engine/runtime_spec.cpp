#include "engine/runtime_spec.hpp"

#include <fnmatch.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "runtime/capabilities.hpp"
#include "volumes/volume_name.hpp"

extern char** environ;  // NOLINT: the C library's

namespace berth::engine {
namespace {

using nlohmann::json;

constexpr std::string_view white_space = " \t";

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// "/a//b/../c/" is "/a/c"; the path must be absolute.
std::string clean_path(std::string_view path) {
    std::string out = std::filesystem::path(std::string(path)).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

bool is_absolute(std::string_view path) { return !path.empty() && path.front() == '/'; }

// ---- environment ----

void set_env(EnvList& list, const std::string& key, const std::string& value) {
    for (auto& entry : list) {
        if (entry.first == key) {
            entry.second = value;
            return;
        }
    }
    list.emplace_back(key, value);
}

bool has_env(const EnvList& list, std::string_view key) {
    return std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.first == key; });
}

// One variable as -e and --env-file lines give it; errors start with `where` when it is not empty.
EnvList parse_env_entry(std::string_view line, const std::vector<std::string>& environment, const std::string& where) {
    auto equals = line.find('=');
    std::string_view key = line.substr(0, equals);
    std::string prefix = where.empty() ? "" : where + ": ";
    if (key.empty()) throw Error(prefix + "invalid environment variable " + in_quotes(line) + ": the name is empty");
    auto first = key.find_first_not_of(white_space);
    if (first == std::string_view::npos)
        throw Error(prefix + "invalid environment variable " + in_quotes(line) + ": the name is empty");
    std::string name(key.substr(first));
    if (name.find_first_of(" \t\n") != std::string::npos)
        throw Error(prefix + "invalid environment variable " + in_quotes(line) + ": the name contains white space");
    EnvList out;
    if (equals != std::string_view::npos) {
        out.emplace_back(name, std::string(line.substr(equals + 1)));
        return out;
    }
    bool wildcard = name.back() == '*';
    if (wildcard) name.pop_back();
    for (const auto& variable : environment) {
        auto separator = variable.find('=');
        if (separator == std::string::npos) continue;
        std::string_view variable_name(variable.data(), separator);
        if (wildcard ? starts_with(variable_name, name) : variable_name == name) {
            set_env(out, std::string(variable_name), variable.substr(separator + 1));
            if (!wildcard) break;
        }
    }
    return out;
}

// ---- mounts ----

const std::set<std::string, std::less<>> propagation_options = {"private", "rprivate", "shared",     "rshared",
                                                                "slave",   "rslave",   "unbindable", "runbindable"};

// Podman's checks and completion of bind and tmpfs options (util.ProcessOptions): one of each pair, a propagation
// mode ("rprivate", or "private" for a non-recursive bind) and, for binds, "rbind" unless "bind" was given.
std::vector<std::string> process_mount_options(const std::vector<std::string>& given, bool tmpfs) {
    std::vector<std::string> out;
    std::set<std::string> seen_groups;
    bool recursive = true;
    bool bind_given = false;
    bool propagation_given = false;
    auto once = [&](const std::string& group, const std::string& description) {
        if (!seen_groups.insert(group).second) throw Error("only one of " + description + " can be used");
    };
    for (const auto& option : given) {
        if (option.empty()) continue;
        std::string key = option.substr(0, option.find('='));
        if (key == "rw" || key == "ro") {
            once("rw", "'rw' and 'ro'");
        } else if (key == "exec" || key == "noexec") {
            once("exec", "'exec' and 'noexec'");
        } else if (key == "suid" || key == "nosuid") {
            once("suid", "'suid' and 'nosuid'");
        } else if (key == "dev" || key == "nodev") {
            once("dev", "'dev' and 'nodev'");
        } else if (propagation_options.count(key)) {
            once("propagation", "the propagation modes");
            propagation_given = true;
        } else if (key == "bind" || key == "rbind") {
            if (tmpfs) throw Error("the 'bind' and 'rbind' options are not allowed with tmpfs mounts");
            once("bind", "'bind' and 'rbind'");
            bind_given = true;
            recursive = key == "rbind";
        } else if (key == "z" || key == "Z") {
            if (tmpfs) throw Error("the 'z' and 'Z' options are not allowed with tmpfs mounts");
            once("z", "'z' and 'Z'");
            continue;  // SELinux relabelling: berth has no SELinux support, so there is nothing to relabel
        } else if (key == "cached" || key == "delegated" || key == "consistency" || key == "copy" || key == "nocopy") {
            continue;  // macOS and named-volume options without meaning for a bind mount, dropped as Podman does
        } else if (key == "O" || key == "idmap" || key == "nocreate") {
            throw Error("option " + in_quotes(option) + " is not supported yet");
        } else if (tmpfs && (key == "size" || key == "mode" || key == "uid" || key == "gid" || key == "nr_inodes" ||
                             key == "nr_blocks" || key == "huge" || key == "mpol")) {
            if (!seen_groups.insert(key).second) throw Error("only one tmpfs " + key + " can be specified");
            if (option.size() == key.size() + 1 || option.find('=') == std::string::npos)
                throw Error("option " + in_quotes(option) + " needs a value");
        } else if (tmpfs && (key == "noatime" || key == "atime" || key == "relatime" || key == "strictatime" ||
                             key == "tmpcopyup" || key == "notmpcopyup")) {
        } else if (!tmpfs && (key == "size" || key == "mode" || key == "tmpcopyup" || key == "notmpcopyup")) {
            throw Error("the " + in_quotes(key) + " option is only allowed with tmpfs mounts");
        } else {
            throw Error("unknown mount option " + in_quotes(option));
        }
        out.push_back(option);
    }
    if (!propagation_given) out.push_back(recursive ? "rprivate" : "private");
    if (!tmpfs && !bind_given) out.push_back("rbind");
    return out;
}

std::string container_path(std::string_view path) {
    if (path.empty()) throw Error("container directory cannot be empty");
    if (!is_absolute(path)) throw Error("invalid container path " + in_quotes(path) + ", must be an absolute path");
    return clean_path(path);
}

// A --mount option's boolean value: none or "true" is true.
bool mount_flag_value(std::string_view name, std::string_view value, bool has_value) {
    if (!has_value || lower(value) == "true") return true;
    if (lower(value) == "false") return false;
    throw Error(std::string(name) + " must be true or false, not " + in_quotes(value));
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// "U" (or "chown", "U=true", "chown=true") asks for the source to be given to the container's user: it is taken out
// of the mount options and kept as MountSpec::chown.
void take_chown_option(MountSpec& mount, std::vector<std::string>& options) {
    std::erase_if(options, [&](const std::string& option) {
        std::string key = option.substr(0, option.find('='));
        if (key != "U" && key != "chown") return false;
        std::string value = option.size() > key.size() ? option.substr(key.size() + 1) : "true";
        mount.chown = lower(value) != "false";
        return true;
    });
}

// ---- id mappings ----

// The container ids [0, size) of the mappings, as ranges of host ids in container-id order.
struct HostRange {
    uint64_t host = 0;
    uint64_t size = 0;
};

// --userns keep-id: the user's own id keeps its number in the container; the subordinate ids fill the container
// ids below and above it.
std::vector<rootless::IdMapping> keep_id_mappings(const std::vector<rootless::IdMapping>& mappings, uint64_t own) {
    std::vector<rootless::IdMapping> sorted = mappings;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.container_id < b.container_id; });
    std::vector<HostRange> subordinate;
    for (const auto& mapping : sorted) {
        if (mapping.container_id == 0) {
            if (mapping.size > 1) subordinate.push_back({mapping.host_id + 1, mapping.size - 1});
        } else {
            subordinate.push_back({mapping.host_id, mapping.size});
        }
    }
    std::vector<rootless::IdMapping> out;
    uint64_t next = 0;
    bool placed = false;
    for (auto range : subordinate) {
        while (range.size > 0) {
            if (!placed && next == own) {
                out.push_back({own, own, 1});
                placed = true;
                ++next;
                continue;
            }
            uint64_t size = range.size;
            if (!placed && next < own) size = std::min(size, own - next);
            out.push_back({next, range.host, size});
            next += size;
            range.host += size;
            range.size -= size;
        }
    }
    if (!placed) out.push_back({own, own, 1});
    return out;
}

// --userns nomap: the subordinate ids alone, from container id 0; the user's own id is not mapped.
std::vector<rootless::IdMapping> nomap_mappings(const std::vector<rootless::IdMapping>& mappings) {
    std::vector<rootless::IdMapping> sorted = mappings;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.container_id < b.container_id; });
    std::vector<rootless::IdMapping> out;
    uint64_t next = 0;
    for (const auto& mapping : sorted) {
        uint64_t host = mapping.host_id;
        uint64_t size = mapping.size;
        if (mapping.container_id == 0) {
            ++host;
            --size;
        }
        if (size == 0) continue;
        out.push_back({next, host, size});
        next += size;
    }
    if (out.empty())
        throw Error("--userns nomap: there are no subordinate ids to map (see /etc/subuid and /etc/subgid)");
    return out;
}

bool id_mapped(const std::vector<rootless::IdMapping>& mappings, uint64_t id) {
    return std::any_of(mappings.begin(), mappings.end(), [&](const auto& mapping) {
        return id >= mapping.container_id && id - mapping.container_id < mapping.size;
    });
}

std::string mapped_range_text(const std::vector<rootless::IdMapping>& mappings) {
    std::string text;
    for (const auto& mapping : mappings) {
        if (!text.empty()) text += ", ";
        text += std::to_string(mapping.container_id) + "-" + std::to_string(mapping.container_id + mapping.size - 1);
    }
    return text.empty() ? "none" : text;
}

json mappings_json(const std::vector<rootless::IdMapping>& mappings) {
    json out = json::array();
    for (const auto& mapping : mappings)
        out.push_back({{"containerID", mapping.container_id}, {"hostID", mapping.host_id}, {"size", mapping.size}});
    return out;
}

// ---- image config ----

const json& image_section(const json& image_config) {
    static const json empty = json::object();
    if (!image_config.is_object()) return empty;
    auto found = image_config.find("config");
    return found != image_config.end() && found->is_object() ? *found : empty;
}

std::vector<std::string> image_strings(const json& section, const char* key) {
    std::vector<std::string> out;
    auto found = section.find(key);
    if (found == section.end() || found->is_null()) return out;
    if (!found->is_array()) throw Error(std::string("image config: \"") + key + "\" is not a list of strings");
    for (const auto& item : *found) {
        if (!item.is_string()) throw Error(std::string("image config: \"") + key + "\" is not a list of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::string image_string(const json& section, const char* key) {
    auto found = section.find(key);
    if (found == section.end() || found->is_null()) return {};
    if (!found->is_string()) throw Error(std::string("image config: \"") + key + "\" is not a string");
    return found->get<std::string>();
}

json mount_json(const std::string& destination, const std::string& type, const std::string& source,
                const std::vector<std::string>& options) {
    return {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

size_t path_depth(const std::string& path) {
    return static_cast<size_t>(std::count(path.begin(), path.end(), '/')) - (path == "/" ? 1 : 0);
}

// Podman's shouldMask: a default path stays masked unless an --security-opt unmask= pattern matches it.
bool should_mask(const std::string& path, const std::vector<std::string>& unmask) {
    for (const auto& pattern : unmask) {
        if (lower(pattern) == "all") return false;
        if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) return false;
    }
    return true;
}

std::string validated_hostname(const std::string& hostname) {
    if (hostname.size() > 64) throw Error("invalid hostname " + in_quotes(hostname) + ": longer than 64 characters");
    for (char c : hostname) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
            throw Error("invalid hostname " + in_quotes(hostname) + ": only letters, digits, '-', '.' and '_' allowed");
    }
    return hostname;
}

std::string host_name() {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0) throw_last_errno("gethostname");
    return buffer;
}

}  // namespace

// ---- flag values ----

std::vector<std::string> current_environment() {
    std::vector<std::string> out;
    for (char** entry = environ; entry && *entry; ++entry) out.emplace_back(*entry);
    return out;
}

EnvList parse_env_flag(std::string_view value, const std::vector<std::string>& environment) {
    return parse_env_entry(value, environment, "");
}

EnvList parse_env_file(std::string_view text, const std::vector<std::string>& environment, const std::string& where) {
    EnvList out;
    size_t number = 0;
    for (auto line : split(text, '\n')) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto first = line.find_first_not_of(white_space);
        if (first == std::string::npos || line[first] == '#') continue;
        for (auto& [key, value] : parse_env_entry(std::string_view(line).substr(first), environment,
                                                  where + ": line " + std::to_string(number)))
            set_env(out, key, value);
    }
    return out;
}

EnvList read_env_file(const std::string& path, const std::vector<std::string>& environment) {
    return parse_env_file(read_file(path), environment, "env file " + path);
}

EnvList collect_env(const std::vector<std::string>& env_files, const std::vector<std::string>& env_flags,
                    const std::vector<std::string>& environment) {
    EnvList out;
    for (const auto& path : env_files)
        for (auto& [key, value] : read_env_file(path, environment)) set_env(out, key, value);
    for (const auto& flag : env_flags)
        for (auto& [key, value] : parse_env_flag(flag, environment)) set_env(out, key, value);
    return out;
}

std::vector<std::string> parse_entrypoint(std::string_view value) {
    json parsed = json::parse(value, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_array() &&
        std::all_of(parsed.begin(), parsed.end(), [](const json& item) { return item.is_string(); }))
        return parsed.get<std::vector<std::string>>();
    return {std::string(value)};
}

MountSpec parse_volume(std::string_view value) {
    std::string error_prefix = "invalid volume " + in_quotes(value) + ": ";
    auto parts = split(value, ':');
    if (parts.size() > 3) throw Error(error_prefix + "incorrect volume format, should be [host-dir:]ctr-dir[:option]");
    if (parts.size() == 1) parts.insert(parts.begin(), "");  // -v /path: an anonymous volume
    std::string source = parts[0];
    if (source.empty() && value.find(':') != std::string_view::npos)
        throw Error(error_prefix + "host directory cannot be empty");
    bool volume = source.empty() || (source.front() != '/' && source.front() != '.');
    MountSpec mount;
    mount.type = volume ? "volume" : "bind";
    try {
        if (volume && !source.empty()) volumes::check_volume_name(source);
        mount.source = volume ? source : clean_path(std::filesystem::absolute(source).string());
        mount.destination = container_path(parts[1]);
        auto options = parts.size() > 2 ? split(parts[2], ',') : std::vector<std::string>{};
        if (volume) mount.copy_up = !contains(options, "nocopy");
        take_chown_option(mount, options);
        mount.options = process_mount_options(options, false);
    } catch (const Error& error) {
        throw Error(error_prefix + error.what());
    }
    return mount;
}

MountSpec parse_mount(std::string_view value) {
    std::string error_prefix = "invalid --mount " + in_quotes(value) + ": ";
    try {
        MountSpec mount;
        std::vector<std::string> options;
        bool read_write_given = false;
        bool propagation_given = false;
        std::vector<std::pair<std::string, std::string>> fields;
        for (const auto& field : split(value, ',')) {
            if (field.empty()) continue;
            auto equals = field.find('=');
            std::string name = field.substr(0, equals);
            std::string field_value = equals == std::string::npos ? "" : field.substr(equals + 1);
            if (name == "type") {
                if (!mount.type.empty()) throw Error("cannot pass \"type\" more than once");
                mount.type = field_value;
            } else {
                fields.emplace_back(field, name);
            }
        }
        if (mount.type.empty()) throw Error("the type is missing: type=bind, type=volume or type=tmpfs");
        if (mount.type != "bind" && mount.type != "tmpfs" && mount.type != "volume")
            throw Error("type " + in_quotes(mount.type) + " is not supported; berth has bind, volume and tmpfs");
        bool tmpfs = mount.type == "tmpfs";
        bool volume = mount.type == "volume";
        for (const auto& [field, name] : fields) {
            auto equals = field.find('=');
            bool has_value = equals != std::string::npos;
            std::string field_value = has_value ? field.substr(equals + 1) : "";
            auto only_for = [&](const char* type) {
                if (mount.type != type)
                    throw Error(in_quotes(name) + " option not supported for " + in_quotes(mount.type) +
                                " mount types");
            };
            auto need_value = [&]() {
                if (!has_value || field_value.empty()) throw Error(name + ": must provide an argument for option");
            };
            if (name == "source" || name == "src") {
                if (tmpfs) only_for("bind");
                need_value();
                if (!mount.source.empty()) throw Error("cannot pass " + in_quotes(name) + " more than once");
                mount.source = field_value;
            } else if (name == "destination" || name == "target" || name == "dst" || name == "dest") {
                need_value();
                if (!mount.destination.empty()) throw Error("cannot pass " + in_quotes(name) + " more than once");
                mount.destination = container_path(field_value);
            } else if (name == "ro" || name == "readonly" || name == "rw") {
                if (read_write_given) throw Error("cannot pass 'readonly', 'ro', or 'rw' options more than once");
                read_write_given = true;
                bool on = mount_flag_value(name, field_value, has_value);
                if (name == "rw")
                    options.push_back(on ? "rw" : "ro");
                else if (on)
                    options.push_back("ro");
            } else if (name == "bind-propagation") {
                only_for("bind");
                need_value();
                if (!propagation_options.count(field_value)) throw Error("invalid value " + in_quotes(field));
                propagation_given = true;
                options.push_back(field_value);
            } else if (name == "bind-nonrecursive") {
                only_for("bind");
                if (mount_flag_value(name, field_value, has_value)) options.push_back("bind");
            } else if (name == "nocopy" || name == "volume-nocopy") {
                only_for("volume");
                mount.copy_up = !mount_flag_value(name, field_value, has_value);
            } else if (name == "tmpfs-size") {
                only_for("tmpfs");
                need_value();
                options.push_back("size=" + field_value);
            } else if (name == "tmpfs-mode") {
                only_for("tmpfs");
                need_value();
                options.push_back("mode=" + field_value);
            } else if (name == "exec" || name == "noexec" || name == "suid" || name == "nosuid" || name == "dev" ||
                       name == "nodev" || name == "z" || name == "Z" || name == "consistency" ||
                       propagation_options.count(name) || name == "tmpcopyup" || name == "notmpcopyup" || name == "U" ||
                       name == "chown" || name == "idmap") {
                if (propagation_options.count(name)) {
                    if (propagation_given) throw Error("only one of the propagation modes can be used");
                    propagation_given = true;
                }
                options.push_back(name);
            } else {
                throw Error(name + ": invalid mount option");
            }
        }
        if (mount.destination.empty()) throw Error("must set volume destination");
        take_chown_option(mount, options);
        if (tmpfs) {
            mount.source = "tmpfs";
        } else if (volume) {
            if (!mount.source.empty()) volumes::check_volume_name(mount.source);
        } else {
            if (mount.source.empty()) mount.source = mount.destination;
            mount.source = clean_path(std::filesystem::absolute(mount.source).string());
        }
        mount.options = process_mount_options(options, tmpfs);
        return mount;
    } catch (const Error& error) {
        if (starts_with(error.what(), error_prefix)) throw;
        throw Error(error_prefix + error.what());
    }
}

MountSpec parse_tmpfs(std::string_view value) {
    std::string error_prefix = "invalid --tmpfs " + in_quotes(value) + ": ";
    try {
        auto colon = value.find(':');
        MountSpec mount;
        mount.type = "tmpfs";
        mount.source = "tmpfs";
        mount.destination = container_path(value.substr(0, colon));
        std::vector<std::string> options{"rw", "noexec", "nosuid", "nodev"};
        if (colon != std::string_view::npos) options = split(value.substr(colon + 1), ',');
        mount.options = process_mount_options(options, true);
        return mount;
    } catch (const Error& error) {
        throw Error(error_prefix + error.what());
    }
}

std::string normalize_capability(std::string_view name) {
    std::string normal = upper(trim(name));
    if (normal == "ALL") return normal;
    if (!starts_with(normal, "CAP_")) normal = "CAP_" + normal;
    auto number = runtime::capability_from_name(normal);
    if (!number) throw Error("unknown capability " + in_quotes(normal));
    return runtime::capability_name(*number);
}

std::vector<std::string> parse_capabilities(std::string_view value) {
    std::vector<std::string> out;
    for (const auto& name : split(value, ',')) {
        if (trim(name).empty()) throw Error("invalid capability list " + in_quotes(value) + ": an empty name");
        out.push_back(normalize_capability(name));
    }
    return out;
}

void apply_security_opt(RunOptions& options, std::string_view value) {
    std::string error_prefix = "invalid --security-opt " + in_quotes(value) + ": ";
    auto separator = value.find_first_of("=:");
    std::string key(value.substr(0, separator));
    std::string argument = separator == std::string_view::npos ? "" : std::string(value.substr(separator + 1));
    bool has_argument = separator != std::string_view::npos;
    auto paths = [&]() {
        std::vector<std::string> out;
        for (const auto& path : split(argument, ':')) {
            if (path.empty()) continue;
            if (!is_absolute(path) && !(key == "unmask" && lower(path) == "all"))
                throw Error(error_prefix + in_quotes(path) + " is not an absolute path");
            out.push_back(key == "unmask" && lower(path) == "all" ? "ALL" : clean_path(path));
        }
        if (out.empty()) throw Error(error_prefix + "no paths given");
        return out;
    };
    if (key == "no-new-privileges") {
        if (!has_argument || argument == "true") {
            options.no_new_privileges = true;
        } else if (argument == "false") {
            options.no_new_privileges = false;
        } else {
            throw Error(error_prefix + "no-new-privileges takes true or false");
        }
    } else if (key == "seccomp") {
        if (argument.empty()) throw Error(error_prefix + "give seccomp=unconfined or seccomp=PROFILE.json");
        options.seccomp_profile = argument;
    } else if (key == "mask") {
        for (auto& path : paths()) options.mask.push_back(std::move(path));
    } else if (key == "unmask") {
        for (auto& path : paths()) options.unmask.push_back(std::move(path));
    } else if (key == "label") {
        if (argument != "disable" && argument != "nested")
            throw Error(error_prefix + "berth has no SELinux support; only label=disable is accepted");
    } else if (key == "apparmor") {
        if (argument != "unconfined")
            throw Error(error_prefix + "berth has no AppArmor support; only apparmor=unconfined is accepted");
    } else {
        throw Error(error_prefix +
                    "expected no-new-privileges, seccomp=, mask=, unmask=, label=disable or apparmor=unconfined");
    }
}

Ulimit parse_ulimit(std::string_view value) {
    static const std::set<std::string, std::less<>> names = {
        "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
        "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    std::string error_prefix = "invalid ulimit " + in_quotes(value) + ": ";
    auto equals = value.find('=');
    if (equals == std::string_view::npos || equals == 0) throw Error(error_prefix + "expected name=soft[:hard]");
    Ulimit ulimit;
    ulimit.name = lower(value.substr(0, equals));
    if (starts_with(ulimit.name, "rlimit_")) ulimit.name.erase(0, 7);
    if (!names.count(ulimit.name)) throw Error(error_prefix + "unknown resource " + in_quotes(ulimit.name));
    auto limits = split(value.substr(equals + 1), ':');
    if (limits.size() > 2) throw Error(error_prefix + "at most two values, soft[:hard]");
    auto number = [&](const std::string& text) -> uint64_t {
        if (text == "-1") return rlimit_unlimited;
        auto parsed = parse_unsigned(text);
        if (!parsed) throw Error(error_prefix + in_quotes(text) + " is not a number (or -1 for unlimited)");
        return *parsed;
    };
    ulimit.soft = number(limits[0]);
    ulimit.hard = limits.size() == 2 ? number(limits[1]) : ulimit.soft;
    if (ulimit.soft > ulimit.hard)
        throw Error(error_prefix + "the soft limit " + limits[0] + " is larger than the hard limit " + limits[1]);
    return ulimit;
}

UsernsMode parse_userns(std::string_view value) {
    if (value.empty() || value == "private") return UsernsMode::default_mode;
    if (value == "host") return UsernsMode::host;
    if (value == "keep-id") return UsernsMode::keep_id;
    if (value == "nomap") return UsernsMode::nomap;
    throw Error("invalid --userns " + in_quotes(value) + ": berth supports host, keep-id, nomap and private");
}

bool parse_namespace_host(std::string_view flag, std::string_view value) {
    if (value == "host") return true;
    if (value.empty() || value == "private" || (flag == "--ipc" && value == "shareable")) return false;
    throw Error("invalid " + std::string(flag) + " " + in_quotes(value) + ": berth supports host and private");
}

int64_t parse_memory(std::string_view value) {
    auto result = parse_byte_size("--memory", value);
    if (result != 0 && result < 6 * 1024 * 1024)
        throw Error("invalid --memory " + in_quotes(value) + ": the minimum memory limit allowed is 6MB");
    return result;
}

int64_t parse_byte_size(std::string_view flag, std::string_view value) {
    std::string error_prefix = "invalid " + std::string(flag) + " " + in_quotes(value) + ": ";
    std::string text = lower(trim(value));
    size_t digits_end = 0;
    while (digits_end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits_end])) || text[digits_end] == '.'))
        ++digits_end;
    std::string number_text = text.substr(0, digits_end);
    std::string unit(trim(std::string_view(text).substr(digits_end)));
    double number = 0;
    auto [end, error] = std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
    if (number_text.empty() || error != std::errc() || end != number_text.data() + number_text.size())
        throw Error(error_prefix + "expected a number of bytes with an optional unit (b, k, m, g)");
    static const std::map<std::string, int, std::less<>> powers = {
        {"", 0},   {"b", 0},   {"k", 1}, {"kb", 1}, {"kib", 1}, {"m", 2}, {"mb", 2}, {"mib", 2}, {"g", 3},
        {"gb", 3}, {"gib", 3}, {"t", 4}, {"tb", 4}, {"tib", 4}, {"p", 5}, {"pb", 5}, {"pib", 5}};
    auto power = powers.find(unit);
    if (power == powers.end()) throw Error(error_prefix + "unknown unit " + in_quotes(unit) + " (b, k, m, g, t, p)");
    double bytes = number * std::pow(1024.0, power->second);
    if (!std::isfinite(bytes) || bytes >= 9.2e18) throw Error(error_prefix + "too large");
    return static_cast<int64_t>(bytes);
}

double parse_cpus(std::string_view value) {
    std::string error_prefix = "invalid --cpus " + in_quotes(value) + ": ";
    std::string text(trim(value));
    double cpus = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpus);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(cpus) || cpus < 0)
        throw Error(error_prefix + "expected a positive decimal number of CPUs");
    if (cpus != 0 && cpus < 0.01) throw Error(error_prefix + "the minimum is 0.01");
    if (cpus > 1e6) throw Error(error_prefix + "too large");
    return cpus;
}

int64_t parse_pids_limit(std::string_view value) {
    std::string text(trim(value));
    int64_t limit = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || limit < -1)
        throw Error("invalid --pids-limit " + in_quotes(value) + ": expected a number (0 or -1 for unlimited)");
    return limit;
}

std::pair<std::string, std::string> parse_key_value(std::string_view flag, std::string_view value) {
    auto equals = value.find('=');
    std::string key(value.substr(0, equals));
    if (trim(key).empty()) throw Error("invalid " + std::string(flag) + " " + in_quotes(value) + ": the key is empty");
    return {key, equals == std::string_view::npos ? "" : std::string(value.substr(equals + 1))};
}

// ---- the spec ----

bool can_raise_resource_limits() {
    auto status = read_file_if_exists("/proc/self/status").value_or("");
    return runtime::parse_status_capabilities(status).effective.has(CAP_SYS_RESOURCE);
}

uint64_t current_hard_limit(int resource) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) != 0) return default_rlimit;
    return limit.rlim_max == RLIM_INFINITY ? rlimit_unlimited : static_cast<uint64_t>(limit.rlim_max);
}

std::vector<std::string> process_args(const nlohmann::json& image_config, const RunOptions& options) {
    const json& section = image_section(image_config);
    std::vector<std::string> entrypoint =
        options.entrypoint ? parse_entrypoint(*options.entrypoint) : image_strings(section, "Entrypoint");
    std::vector<std::string> command = options.command;
    // Podman: the image's Cmd only when no command is given and no (non-empty) --entrypoint replaces the image's.
    if (command.empty() && (!options.entrypoint || entrypoint.empty())) command = image_strings(section, "Cmd");
    std::vector<std::string> args;
    if (!(entrypoint.size() == 1 && entrypoint[0].empty())) args = entrypoint;
    args.insert(args.end(), command.begin(), command.end());
    if (args.empty()) throw Error("no command or entrypoint provided, and no CMD or ENTRYPOINT from image");
    if (options.init) args.insert(args.begin(), {container_init_path, "--"});
    return args;
}

runtime::ProcessCapabilities process_capabilities(const RunOptions& options, bool root_user, int last_capability) {
    runtime::CapabilitySet all = runtime::all_capabilities();
    if (last_capability >= 0 && last_capability < 63)
        all = runtime::CapabilitySet((std::uint64_t{1} << (last_capability + 1)) - 1);
    runtime::CapabilitySet caps =
        options.privileged
            ? all
            : runtime::adjust_capabilities(runtime::default_capabilities(), options.cap_add, options.cap_drop, all);
    runtime::CapabilitySet added;
    for (const auto& name : options.cap_add)
        added = added | (normalize_capability(name) == "ALL" ? all : runtime::capability_set({name}));
    return runtime::container_process_capabilities(caps & all, added & all, root_user);
}

const std::vector<std::string>& default_masked_paths() {
    static const std::vector<std::string> paths = {
        "/proc/acpi",          "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
        "/proc/timer_list",    "/proc/timer_stats", "/sys/devices/virtual/powercap",
        "/sys/firmware",       "/sys/fs/selinux",   "/proc/interrupts"};
    return paths;
}

const std::vector<std::string>& default_readonly_paths() {
    static const std::vector<std::string> paths = {"/proc/asound", "/proc/bus", "/proc/fs",
                                                   "/proc/irq",    "/proc/sys", "/proc/sysrq-trigger"};
    return paths;
}

nlohmann::json build_runtime_spec(const nlohmann::json& image_config, const RunOptions& options,
                                  const SpecContext& context) {
    const json& section = image_section(image_config);
    bool network_host = options.network == "host";

    // User namespace and id mappings.
    bool user_namespace = context.rootless;
    std::vector<rootless::IdMapping> uid_mappings;
    std::vector<rootless::IdMapping> gid_mappings;
    if (!context.rootless) {
        if (options.userns == UsernsMode::keep_id) throw Error("--userns keep-id is only supported in rootless mode");
        if (options.userns == UsernsMode::nomap) throw Error("--userns nomap is only supported in rootless mode");
    } else {
        if (context.uid_mappings.empty() || context.gid_mappings.empty())
            throw Error("building the container's spec: a rootless container needs uid and gid mappings");
        switch (options.userns) {
            case UsernsMode::keep_id:
                uid_mappings = keep_id_mappings(context.uid_mappings, context.host_uid);
                gid_mappings = keep_id_mappings(context.gid_mappings, context.host_gid);
                break;
            case UsernsMode::nomap:
                uid_mappings = nomap_mappings(context.uid_mappings);
                gid_mappings = nomap_mappings(context.gid_mappings);
                break;
            default:
                // Rootless "host" is the user's own namespace, which is what berth maps by default (as Podman).
                uid_mappings = context.uid_mappings;
                gid_mappings = context.gid_mappings;
        }
    }

    // The user.
    std::string user_spec = options.user;
    if (user_spec.empty() && options.userns == UsernsMode::keep_id)
        user_spec = std::to_string(context.host_uid) + ":" + std::to_string(context.host_gid);
    if (user_spec.empty()) user_spec = image_string(section, "User");
    ImageUser user = context.user_lookup_layers.empty()
                         ? lookup_image_user(context.rootfs, user_spec, options.group_add)
                         : lookup_image_user_in_layers(context.user_lookup_layers, user_spec, options.group_add);
    if (user_namespace) {
        if (!id_mapped(uid_mappings, user.uid))
            throw Error("user " + in_quotes(user_spec) + ": uid " + std::to_string(user.uid) +
                        " is not mapped in the container's user namespace (uids " + mapped_range_text(uid_mappings) +
                        " are)");
        if (!id_mapped(gid_mappings, user.gid))
            throw Error("user " + in_quotes(user_spec) + ": gid " + std::to_string(user.gid) +
                        " is not mapped in the container's user namespace (gids " + mapped_range_text(gid_mappings) +
                        " are)");
    }
    std::vector<uint32_t> additional_gids{user.gid};
    for (uint32_t gid : user.additional_gids) {
        if (std::find(additional_gids.begin(), additional_gids.end(), gid) != additional_gids.end()) continue;
        if (user_namespace && !id_mapped(gid_mappings, gid)) {
            log_warning("additional gid " + std::to_string(gid) +
                        " is not mapped in the container's user namespace, skipping it");
            continue;
        }
        additional_gids.push_back(gid);
    }

    // Hostname.
    if (options.uts_host && !options.hostname.empty())
        throw Error("cannot set hostname when running in the host UTS namespace");
    std::string hostname;
    if (options.uts_host) {
        hostname = context.host_hostname.empty() ? host_name() : context.host_hostname;
    } else if (!options.hostname.empty()) {
        hostname = validated_hostname(options.hostname);
    } else {
        if (context.container_id.size() < 12) throw Error("building the container's spec: no container id");
        hostname = context.container_id.substr(0, 12);
    }

    // Environment: defaults, the image's, TERM for a terminal, the flags', then HOSTNAME and HOME when unset.
    EnvList env{{"PATH", default_path_env}, {"container", "berth"}};
    for (const auto& entry : image_strings(section, "Env")) {
        auto equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) continue;
        set_env(env, entry.substr(0, equals), entry.substr(equals + 1));
    }
    if (options.tty && !has_env(env, "TERM")) set_env(env, "TERM", "xterm");
    for (const auto& [key, value] : options.env) set_env(env, key, value);
    if (!has_env(env, "HOSTNAME")) set_env(env, "HOSTNAME", hostname);
    if (!has_env(env, "HOME")) set_env(env, "HOME", user.home);
    json env_json = json::array();
    for (const auto& [key, value] : env) env_json.push_back(key + "=" + value);

    // Working directory.
    std::string cwd = "/";
    if (!options.workdir.empty()) {
        if (!is_absolute(options.workdir))
            throw Error("invalid --workdir " + in_quotes(options.workdir) + ": must be an absolute path");
        cwd = clean_path(options.workdir);
    } else if (auto image_workdir = image_string(section, "WorkingDir"); !image_workdir.empty()) {
        cwd = clean_path("/" + image_workdir);
    }

    // Capabilities and rlimits.
    runtime::ProcessCapabilities caps = process_capabilities(options, user.uid == 0, context.last_capability);
    std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> rlimits;
    auto set_rlimit = [&](const std::string& name, uint64_t soft, uint64_t hard) {
        for (auto& entry : rlimits) {
            if (entry.first == name) {
                entry.second = {soft, hard};
                return;
            }
        }
        rlimits.push_back({name, {soft, hard}});
    };
    bool capped = context.rootless || !context.can_raise_limits;
    uint64_t nofile = capped ? std::min(default_rlimit, context.nofile_hard_limit) : default_rlimit;
    uint64_t nproc = capped ? std::min(default_rlimit, context.nproc_hard_limit) : default_rlimit;
    set_rlimit("nofile", nofile, nofile);
    set_rlimit("nproc", nproc, nproc);
    for (const auto& ulimit : options.ulimits) {
        uint64_t soft = ulimit.soft;
        uint64_t hard = ulimit.hard;
        uint64_t host_hard = ulimit.name == "nofile"  ? context.nofile_hard_limit
                             : ulimit.name == "nproc" ? context.nproc_hard_limit
                                                      : rlimit_unlimited;
        if (context.rootless && hard > host_hard) {
            log_warning("--ulimit " + ulimit.name + ": hard limit lowered to " + std::to_string(host_hard) +
                        ", the most a rootless container can have");
            hard = host_hard;
            soft = std::min(soft, hard);
        }
        set_rlimit(ulimit.name, soft, hard);
    }
    json rlimits_json = json::array();
    for (const auto& [name, limits] : rlimits)
        rlimits_json.push_back({{"type", "RLIMIT_" + upper(name)}, {"soft", limits.first}, {"hard", limits.second}});

    json process = {
        {"terminal", options.tty},
        {"user", {{"uid", user.uid}, {"gid", user.gid}, {"umask", 022}, {"additionalGids", additional_gids}}},
        {"args", process_args(image_config, options)},
        {"env", env_json},
        {"cwd", cwd},
        {"capabilities",
         {{"bounding", caps.bounding.names()},
          {"effective", caps.effective.names()},
          {"permitted", caps.permitted.names()},
          {"inheritable", caps.inheritable.names()},
          {"ambient", caps.ambient.names()}}},
        {"rlimits", rlimits_json},
        {"noNewPrivileges", options.no_new_privileges},
    };

    // Mounts: the defaults, the /etc files, --init, the --read-only tmpfs ones, then the flags'; a flag's mount
    // replaces a default one at the same destination (and a /dev of the flags everything below /dev).
    std::set<std::string> user_destinations;
    for (const auto& mount : options.mounts) {
        std::string destination = clean_path(mount.destination);
        if (!user_destinations.insert(destination).second) throw Error(destination + ": duplicate mount destination");
        if (mount.type == "volume")
            throw Error(destination +
                        ": the volume is attached when the container is created (engine/container_volumes)");
        if (mount.type == "bind") {
            struct stat status {};
            if (::stat(mount.source.c_str(), &status) != 0) throw_last_errno("bind mount source " + mount.source);
        }
    }
    bool user_dev = user_destinations.count("/dev") > 0;
    bool can_mount_sys = !(network_host && user_namespace);
    bool unmask_cgroup = std::any_of(options.unmask.begin(), options.unmask.end(), [](const std::string& path) {
        return lower(path) == "all" || path == "/sys/fs/cgroup";
    });
    std::string cgroup_access = options.privileged || unmask_cgroup ? "rw" : "ro";
    bool gid5_mapped = !user_namespace || id_mapped(gid_mappings, 5);

    std::vector<json> mounts;
    auto add_default = [&](json mount) {
        std::string destination = mount["destination"];
        if (user_destinations.count(destination)) return;
        if (user_dev && starts_with(destination, "/dev/")) return;
        mounts.push_back(std::move(mount));
    };
    if (user_namespace && options.pid_host)
        add_default(mount_json("/proc", "bind", "/proc", {"rbind", "nosuid", "noexec", "nodev"}));
    else
        add_default(mount_json("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
    std::vector<std::string> dev_options{"nosuid", "strictatime", "mode=755", "size=65536k"};
    if (options.read_only && !options.read_only_tmpfs) dev_options.push_back("ro");
    add_default(mount_json("/dev", "tmpfs", "tmpfs", dev_options));
    if (!can_mount_sys) {
        // Rootless with the host's network namespace: sysfs cannot be mounted, so the host's /sys is bound.
        std::string access = options.privileged ? "rw" : "ro";
        add_default(mount_json("/sys", "bind", "/sys", {"rprivate", "nosuid", "noexec", "nodev", access, "rbind"}));
    } else if (options.privileged) {
        add_default(mount_json("/sys", "sysfs", "sysfs", {"rprivate", "nosuid", "noexec", "nodev", "rw"}));
    } else {
        add_default(mount_json("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    }
    std::vector<std::string> devpts_options{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    if (gid5_mapped) devpts_options.push_back("gid=5");
    add_default(mount_json("/dev/pts", "devpts", "devpts", devpts_options));
    add_default(mount_json("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
    if (user_namespace && options.ipc_host)
        add_default(mount_json("/dev/mqueue", "bind", "/dev/mqueue", {"bind", "nosuid", "noexec", "nodev"}));
    else
        add_default(mount_json("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
    if (can_mount_sys)
        add_default(mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
                               {"rprivate", "nosuid", "noexec", "nodev", "relatime", cgroup_access}));
    else
        add_default(mount_json("/sys/fs/cgroup", "cgroup", "/sys/fs/cgroup",
                               {"rprivate", "nosuid", "noexec", "nodev", options.privileged ? "rw" : "ro"}));
    for (const auto& [destination, source] : context.etc_files) {
        if (!is_absolute(destination) || !is_absolute(source))
            throw Error("building the container's spec: " + destination + " from " + source +
                        ": both paths must be absolute");
        add_default(mount_json(clean_path(destination), "bind", source, {"bind", "rprivate"}));
    }
    if (options.init) {
        if (context.init_binary.empty())
            throw Error("--init: no init binary found on the host (install catatonit or tini)");
        add_default(mount_json(container_init_path, "bind", context.init_binary, {"bind", "ro"}));
    }
    if (options.read_only && options.read_only_tmpfs) {
        for (const char* destination : {"/tmp", "/var/tmp", "/run"})
            add_default(mount_json(destination, "tmpfs", "tmpfs", {"rw", "rprivate", "nosuid", "nodev"}));
    }
    for (const auto& mount : options.mounts)
        mounts.push_back(mount_json(clean_path(mount.destination), mount.type, mount.source, mount.options));
    // Parents before children: a mount on /a/b must come after the one on /a.
    std::stable_sort(mounts.begin(), mounts.end(), [](const json& a, const json& b) {
        return path_depth(a["destination"].get<std::string>()) < path_depth(b["destination"].get<std::string>());
    });

    // Namespaces.
    json namespaces = json::array();
    if (!options.pid_host) namespaces.push_back({{"type", "pid"}});
    if (!network_host) namespaces.push_back({{"type", "network"}});
    if (!options.ipc_host) namespaces.push_back({{"type", "ipc"}});
    if (!options.uts_host) namespaces.push_back({{"type", "uts"}});
    namespaces.push_back({{"type", "mount"}});
    namespaces.push_back({{"type", "cgroup"}});
    if (user_namespace) namespaces.push_back({{"type", "user"}});

    // Masked and read-only paths.
    std::vector<std::string> masked;
    std::vector<std::string> readonly;
    auto add_unique = [](std::vector<std::string>& list, const std::string& path) {
        if (!contains(list, path)) list.push_back(path);
    };
    bool user_masks = true;
    if (!options.privileged) {
        for (const auto& path : default_masked_paths())
            if (should_mask(path, options.unmask)) add_unique(masked, path);
        for (const auto& path : default_readonly_paths())
            if (should_mask(path, options.unmask)) add_unique(readonly, path);
        if (!can_mount_sys && context.rootless) add_unique(masked, "/sys/kernel");
        if (options.pid_host && context.rootless) user_masks = false;
    }
    if (user_masks)
        for (const auto& path : options.mask) add_unique(masked, path);

    // Resources.
    json resources = json::object();
    if (!user_namespace) resources["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
    if (options.memory && *options.memory > 0) resources["memory"] = {{"limit", *options.memory}};
    if (options.cpus && *options.cpus > 0) {
        constexpr int64_t period = 100000;
        resources["cpu"] = {{"quota", static_cast<int64_t>(std::llround(*options.cpus * period))}, {"period", period}};
    }
    int64_t pids = options.pids_limit ? *options.pids_limit : context.default_pids_limit;
    if (pids > 0) resources["pids"] = {{"limit", pids}};

    json linux_section = {
        {"namespaces", namespaces},
        {"maskedPaths", masked},
        {"readonlyPaths", readonly},
    };
    if (!resources.empty()) linux_section["resources"] = resources;
    if (user_namespace) {
        linux_section["uidMappings"] = mappings_json(uid_mappings);
        linux_section["gidMappings"] = mappings_json(gid_mappings);
    }
    // Podman's default sysctl (containers.conf default_sysctls): ping without privileges, in the container's own
    // network namespace.
    if (!network_host) linux_section["sysctl"] = {{"net.ipv4.ping_group_range", "0 0"}};
    if (!context.cgroups_path.empty()) linux_section["cgroupsPath"] = context.cgroups_path;

    // Annotations: the --annotation ones, then berth's own.
    json annotations = json::object();
    for (const auto& [key, value] : options.annotations) annotations[key] = value;
    int stop_signal = SIGTERM;
    if (auto text = image_string(section, "StopSignal"); !text.empty()) {
        try {
            stop_signal = parse_signal(text);
        } catch (const Error& error) {
            log_warning(std::string("image config: ") + error.what() + ", using SIGTERM");
        }
    }
    annotations["io.container.manager"] = "berth";
    annotations["org.opencontainers.image.stopSignal"] = std::to_string(stop_signal);
    if (options.rm) annotations["io.berth.annotations.autoremove"] = "TRUE";
    if (options.init) annotations["io.berth.annotations.init"] = "TRUE";
    if (options.privileged) annotations["io.berth.annotations.privileged"] = "TRUE";

    json spec = {
        {"ociVersion", oci_version},
        {"process", process},
        {"root", {{"path", context.rootfs}, {"readonly", options.read_only}}},
        {"mounts", mounts},
        {"linux", linux_section},
        {"annotations", annotations},
    };
    if (!options.uts_host) spec["hostname"] = hostname;
    return spec;
}

}  // namespace berth::engine

#include "builder/run_mounts.hpp"

#include <limits.h>
#include <stdlib.h>

#include <map>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/lexical_path.hpp"
#include "engine/runtime_spec.hpp"

namespace berth::builder {
namespace {

std::map<std::string, std::string> options_of(const std::string& value) {
    std::map<std::string, std::string> out;
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        std::string item = value.substr(start, end - start);
        start = end + 1;
        if (item.empty()) continue;
        size_t equals = item.find('=');
        std::string key = item.substr(0, equals);
        if (key == "dst" || key == "destination") key = "target";
        if (key == "src") key = "source";
        if (key == "readonly") key = "ro";
        out[key] = equals == std::string::npos ? "true" : item.substr(equals + 1);
    }
    return out;
}

std::string real_path(const std::string& path) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved)) throw_last_errno("resolve " + path);
    return resolved;
}

// The host path of a bind's source inside the context; Error when it leaves the context.
std::string context_source(const std::string& source, const std::string& context_dir) {
    auto parts = lexical_components(source);
    if (!parts) throw Error("--mount source " + source + ": outside the build context");
    std::string path = context_dir;
    for (const auto& part : *parts) path += "/" + part;
    std::string root = real_path(context_dir);
    std::string resolved = real_path(path);
    if (resolved != root && !resolved.starts_with(root + "/"))
        throw Error("--mount source " + source + ": outside the build context");
    return resolved;
}

}  // namespace

engine::MountSpec run_mount(const std::string& value, const std::string& context_dir, const std::string& graph_root,
                            const std::map<std::string, std::string>& secrets) {
    auto options = options_of(value);
    std::string type = options.count("type") ? options["type"] : "bind";
    std::string target = options["target"];
    if (type == "secret") {
        std::string id = options.count("id") ? options["id"] : target.substr(target.rfind('/') + 1);
        auto found = secrets.find(id);
        if (found == secrets.end()) {
            if (options.count("required") && options["required"] != "false")
                throw Error("--mount=" + value + ": no secret " + id + " given (--secret id=" + id + ",src=FILE)");
            return engine::parse_mount("type=tmpfs,destination=" + (target.empty() ? "/run/secrets/" + id : target));
        }
        return engine::parse_mount("type=bind,source=" + found->second +
                                   ",destination=" + (target.empty() ? "/run/secrets/" + id : target) + ",ro");
    }
    if (target.empty()) throw Error("--mount=" + value + ": target is required");
    bool read_only = options.count("ro") && options["ro"] != "false";
    bool read_write = options.count("rw") && options["rw"] != "false";
    if (type == "tmpfs") {
        std::string spec = "type=tmpfs,destination=" + target;
        if (options.count("size")) spec += ",tmpfs-size=" + options["size"];
        return engine::parse_mount(spec);
    }
    std::string source;
    if (type == "bind") {
        if (options.count("from")) throw Error("--mount=" + value + ": from= is not supported yet");
        source = context_source(options.count("source") ? options["source"] : ".", context_dir);
        read_only = !read_write;  // bind mounts of the context are read-only unless rw
    } else if (type == "cache") {
        std::string id = options.count("id") ? options["id"] : target;
        source = graph_root + "/build-cache-mounts/" + sha256_digest(id).substr(7, 32);
        make_directories(source, 0755);
    } else {
        throw Error("--mount=" + value + ": type " + type + " is not supported (bind, cache, tmpfs, secret)");
    }
    return engine::parse_mount("type=bind,source=" + source + ",destination=" + target + (read_only ? ",ro" : ""));
}

}  // namespace berth::builder

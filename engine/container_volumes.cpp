#include "engine/container_volumes.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"
#include "engine/container_inspect.hpp"
#include "engine/runtime_spec.hpp"
#include "storage/container_store.hpp"
#include "volumes/chown_tree.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/volume_name.hpp"
#include "volumes/volume_options.hpp"
#include "volumes/volume_store.hpp"

namespace berth::engine {
namespace {

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

std::vector<std::string> image_volume_paths(const nlohmann::json& image_config) {
    std::vector<std::string> paths;
    auto config = image_config.find("config");
    if (config == image_config.end() || !config->is_object()) return paths;
    auto found = config->find("Volumes");
    if (found == config->end() || !found->is_object()) return paths;
    for (const auto& [path, ignored] : found->items())
        if (!path.empty() && path.front() == '/') paths.push_back(path);
    return paths;
}

void add_image_volumes(const nlohmann::json& image_config, std::vector<MountSpec>& mounts) {
    for (const auto& path : image_volume_paths(image_config)) {
        bool covered = std::any_of(mounts.begin(), mounts.end(),
                                   [&](const MountSpec& mount) { return mount.destination == path; });
        if (!covered) mounts.push_back({"volume", "", path, {"rprivate", "rbind"}, true});
    }
}

// The volume a mount names, made when it is new.
volumes::VolumeRecord volume_for(volumes::VolumeStore& store, const MountSpec& mount,
                                 std::vector<std::string>& made_anonymous) {
    if (mount.source.empty()) {
        volumes::VolumeRecord record;
        record.name = volumes::new_anonymous_volume_name();
        record.anonymous = true;
        made_anonymous.push_back(record.name);
        return store.create(record);
    }
    if (auto found = store.find(mount.source)) return *found;
    volumes::VolumeRecord record;
    record.name = mount.source;
    return store.create(record);
}

void bind_volume(volumes::VolumeStore& store, const volumes::VolumeRecord& volume, MountSpec& mount,
                 const VolumeContext& context) {
    if (auto device = volumes::device_mount_of(volume.options)) {
        mount.type = device->type;
        mount.source = device->source;
        std::vector<std::string> options = device->options;
        for (const auto& option : mount.options)
            if (option == "ro" || option == "rw" || device->type == "bind") options.push_back(option);
        mount.options = options;
        return;
    }
    mount.type = "bind";
    mount.source = store.paths_of(volume.name).data;
    // Podman mounts volumes nosuid and nodev unless told otherwise.
    auto has = [&](const char* option) {
        return std::find(mount.options.begin(), mount.options.end(), option) != mount.options.end();
    };
    if (!has("suid") && !has("nosuid")) mount.options.push_back("nosuid");
    if (!has("dev") && !has("nodev")) mount.options.push_back("nodev");
    if (!mount.copy_up || !volume.needs_copy_up) return;
    store.copy_up(volume.name, [&](const std::string& staging) {
        if (context.copy_up) return context.copy_up(context.layer_dirs, mount.destination, staging);
        return volumes::copy_up_image_path(context.layer_dirs, mount.destination, staging);
    });
}

}  // namespace

std::vector<std::string> attach_volumes(const VolumeContext& context, const nlohmann::json& image_config,
                                        std::vector<MountSpec>& mounts) {
    add_image_volumes(image_config, mounts);
    std::vector<std::string> names;
    std::vector<std::string> made_anonymous;
    volumes::VolumeStore store(context.graph_root, context.remove_files);
    try {
        auto lock = store.lock_exclusive();
        for (auto& mount : mounts) {
            if (mount.type != "volume") continue;
            auto volume = volume_for(store, mount, made_anonymous);
            names.push_back(volume.name);
            bind_volume(store, volume, mount, context);
        }
    } catch (const Error&) {
        remove_new_anonymous_volumes(context, made_anonymous);
        throw;
    }
    return names;
}

void chown_new_volumes(const VolumeContext& context, const std::vector<std::string>& names, uint32_t uid,
                       uint32_t gid) {
    volumes::VolumeStore store(context.graph_root, context.remove_files);
    auto lock = store.lock_exclusive();
    for (const auto& name : names) {
        auto volume = store.find(name);
        if (!volume || !volume->needs_chown || volumes::device_mount_of(volume->options)) continue;
        store.chown_once(name, [&](const std::string& data) {
            if (uid == 0 && gid == 0) return;
            if (context.chown) return context.chown(data, uid, gid, false);
            if (::lchown(data.c_str(), uid, gid) != 0) throw_last_errno("volume " + name + ": chown " + data);
        });
    }
}

void chown_marked_mounts(const VolumeContext& context, const std::vector<MountSpec>& mounts, uint32_t uid,
                         uint32_t gid) {
    for (const auto& mount : mounts) {
        if (!mount.chown || mount.type != "bind") continue;
        if (context.chown)
            context.chown(mount.source, uid, gid, true);
        else
            volumes::chown_tree(mount.source, uid, gid);
    }
}

std::vector<MountSpec> mounts_from_container(const std::string& graph_root, const std::string& value) {
    auto colon = value.find(':');
    std::string name = value.substr(0, colon);
    std::string mode = colon == std::string::npos ? "" : value.substr(colon + 1);
    if (!mode.empty() && mode != "ro" && mode != "rw" && mode != "z")
        throw Error("invalid options " + in_quotes(mode) + " for --volumes-from " + value + ": expected ro or rw");
    auto found = storage::ContainerStore(graph_root).find(name);
    if (!found)
        throw Error("looking up container " + in_quotes(name) + " for volumes-from: no container with name or ID " +
                    in_quotes(name) + " found: no such container");
    std::vector<MountSpec> mounts;
    auto inspected = inspect_container(graph_root, *found);
    for (const auto& mount : inspected["Mounts"]) {
        bool volume = mount.value("Type", "") == "volume";
        std::string source = volume ? mount.value("Name", "") : mount.value("Source", "");
        std::string access = mode == "ro" || mode == "rw" ? mode : (mount.value("RW", true) ? "rw" : "ro");
        MountSpec spec = parse_volume(source + ":" + mount.value("Destination", "") + ":" + access);
        spec.copy_up = false;  // the volume has its content already
        mounts.push_back(std::move(spec));
    }
    return mounts;
}

void remove_new_anonymous_volumes(const VolumeContext& context, const std::vector<std::string>& names) {
    volumes::VolumeStore store(context.graph_root, context.remove_files);
    for (const auto& name : names) {
        try {
            if (auto record = store.find(name); record && record->anonymous) store.remove(name);
        } catch (const Error&) {
            // The anonymous volume stays listed; `volume prune` removes it.
        }
    }
}

}  // namespace berth::engine

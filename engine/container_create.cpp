#include "engine/container_create.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/files.hpp"
#include "engine/container_etc_files.hpp"
#include "engine/container_network.hpp"
#include "engine/container_start.hpp"
#include "engine/runtime_spec.hpp"
#include "rootless/subordinate_ids.hpp"
#include "runtime/seccomp_filter.hpp"
#include "storage/blob_store.hpp"
#include "storage/layer_store.hpp"

namespace berth::engine {
namespace {

constexpr int name_attempts = 20;
constexpr const char* seccomp_profile_file = "seccomp.json";
// Podman's default pids limit where it can apply one (define.DefaultPidsLimit).
constexpr int64_t podman_default_pids_limit = 2048;

nlohmann::json image_config_of(const std::string& graph_root, const storage::ImageRecord& image) {
    storage::BlobStore blobs(graph_root);
    auto config = nlohmann::json::parse(blobs.read(image.id), nullptr, false);
    if (config.is_discarded()) throw Error("image " + image.id + ": the config blob is not valid JSON");
    return config;
}

std::string free_name(const storage::ContainerStore& store) {
    for (int attempt = 0; attempt < name_attempts; ++attempt) {
        std::string name = storage::random_container_name();
        if (!store.find(name)) return name;
    }
    return storage::random_container_name() + "_" + storage::new_container_id().substr(0, 6);
}

std::string hostname_of(const RunOptions& options, const std::string& id) {
    if (!options.hostname.empty()) return options.hostname;
    if (options.uts_host) {
        char name[256] = {};
        ::gethostname(name, sizeof name - 1);
        return name;
    }
    return id.substr(0, 12);
}

std::string image_stop_signal(const nlohmann::json& config) {
    if (auto section = config.find("config"); section != config.end() && section->is_object())
        if (auto signal = section->find("StopSignal");
            signal != section->end() && signal->is_string() && !signal->get<std::string>().empty()) {
            parse_signal(signal->get<std::string>());  // an unknown one fails the create, as in Podman
            return signal->get<std::string>();
        }
    return "SIGTERM";
}

// The image's layer directories, bottom first; none for a container of no image.
std::vector<std::string> layer_dirs_of(const CreateRequest& request) {
    if (request.image_config) return {};
    return image_layer_dirs(request.graph_root, request.image);
}

SpecContext spec_context(const CreateRequest& request, const std::string& id, const storage::ContainerPaths& paths) {
    SpecContext context;
    context.container_id = id;
    context.rootfs = paths.rootfs;
    context.rootless = request.rootless;
    if (request.rootless) {
        auto user = rootless::current_user_ids();
        context.uid_mappings = rootless::rootless_id_mappings(user.uid, user.subuids);
        context.gid_mappings = rootless::rootless_id_mappings(user.gid, user.subgids);
    }
    context.host_uid = ::getuid();
    context.host_gid = ::getgid();
    context.nofile_hard_limit = current_hard_limit(RLIMIT_NOFILE);
    context.nproc_hard_limit = current_hard_limit(RLIMIT_NPROC);
    context.can_raise_limits = can_raise_resource_limits();
    if (request.options.init) context.init_binary = find_init_binary();
    if (!request.rootless) {
        context.default_pids_limit = podman_default_pids_limit;
        context.cgroups_path = "/berth/" + id;
    }
    auto layers = layer_dirs_of(request);
    std::reverse(layers.begin(), layers.end());
    context.user_lookup_layers = std::move(layers);  // the rootfs is not there yet, whatever the driver
    return context;
}

// A --security-opt seccomp=PROFILE is read and checked now and kept with the container.
std::string keep_seccomp_profile(const std::string& choice, const storage::ContainerPaths& paths) {
    if (choice.empty() || choice == "unconfined") return choice;
    std::string text = read_file(choice);
    runtime::seccomp::parse_profile(text, choice);
    write_file_atomic(paths.userdata + "/" + seccomp_profile_file, text, 0600);
    return seccomp_profile_file;
}

void prepare_rootfs(const CreateRequest& request, const storage::ContainerPaths& paths) {
    make_directories(paths.rootfs, 0700);
    if (request.image_config) return;  // an empty rootfs, filled by its mounts
    if (request.driver == storage::RootfsDriver::vfs) {
        if (!request.assemble_vfs_rootfs) throw Error("create container: the vfs driver is not available here");
        request.assemble_vfs_rootfs(image_layer_dirs(request.graph_root, request.image), paths.rootfs);
        return;
    }
    make_directories(paths.upper, 0755);
    make_directories(paths.work, 0700);
}

}  // namespace

std::vector<std::string> image_layer_dirs(const std::string& graph_root, const storage::ImageRecord& image) {
    storage::LayerStore layers(graph_root);
    std::vector<std::string> dirs;
    for (const auto& chain_id : image.layers) {
        if (!layers.contains(chain_id))
            throw Error("image " + image.id.substr(7, 12) + ": layer " + chain_id +
                        " is missing from storage (pull the image again)");
        dirs.push_back(layers.diff_path(chain_id));
    }
    if (dirs.empty()) throw Error("image " + image.id.substr(7, 12) + " has no layers");
    return dirs;
}

std::string find_init_binary() {
    for (const char* path : {"/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "/usr/libexec/catatonit/catatonit",
                             "/usr/bin/tini-static", "/usr/bin/tini"})
        if (::access(path, X_OK) == 0) return path;
    return {};
}

storage::ContainerRecord create_container(const CreateRequest& request) {
    storage::ContainerStore store(request.graph_root);
    auto image_config =
        request.image_config ? *request.image_config : image_config_of(request.graph_root, request.image);

    storage::ContainerRecord record;
    record.id = storage::new_container_id();
    record.name = request.options.name.empty() ? free_name(store) : request.options.name;
    record.image_id = request.image.id;
    record.image_name = request.image_name;
    record.created_ns = unix_now_ns();
    record.labels = request.options.labels;
    record.driver =
        std::string(storage::driver_name(request.image_config ? storage::RootfsDriver::vfs : request.driver));
    record.layers = request.image.layers;
    record.remove_after_exit = request.options.rm;
    record.stop_signal = image_stop_signal(image_config);
    record.tty = request.options.tty;
    record.interactive = request.options.interactive;
    record.rootless = request.rootless;
    auto network_mode = resolve_network_mode(request.options, request.rootless, request.graph_root);
    record.network = netns::network_text(network_mode);
    record.ports = to_records(published_ports(request.options, image_config, network_mode));

    return store.create(record, [&](const storage::ContainerPaths& paths, storage::ContainerRecord& created) {
        created.seccomp_profile = keep_seccomp_profile(request.options.seccomp_profile, paths);
        SpecContext context = spec_context(request, created.id, paths);
        context.etc_files =
            write_container_etc_files(paths.userdata, hostname_of(request.options, created.id), created.name,
                                      etc_network(network_mode, request.options, request.graph_root));
        connect_more_networks(request.options, request.graph_root, created.id);
        RunOptions options = request.options;
        VolumeContext volumes{request.graph_root, layer_dirs_of(request), request.copy_up_volume,
                              request.remove_volume_files, request.chown_volume};
        created.volumes = attach_volumes(volumes, image_config, options.mounts);
        try {
            if (request.image_config) make_directories(paths.rootfs, 0700);  // the user lookup reads it
            auto spec = build_runtime_spec(image_config, options, context);
            created.command = spec["process"]["args"].get<std::vector<std::string>>();
            // Rootless with --userns keep-id or nomap, the container's ids are not those of the storage's user
            // namespace, where the chown would run: the volume stays the user's.
            if (!request.rootless || options.userns == UsernsMode::default_mode) {
                auto uid = spec["process"]["user"]["uid"].get<uint32_t>();
                auto gid = spec["process"]["user"]["gid"].get<uint32_t>();
                chown_new_volumes(volumes, created.volumes, uid, gid);
                chown_marked_mounts(volumes, options.mounts, uid, gid);
            }
            write_file_atomic(paths.spec, spec.dump(2), 0600, Durability::atomic);
            prepare_rootfs(request, paths);
        } catch (const Error&) {
            remove_new_anonymous_volumes(volumes, created.volumes);
            throw;
        }
    });
}

}  // namespace berth::engine

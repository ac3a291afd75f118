#include "transport/container_commit.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/platform.hpp"
#include "registry/media_types.hpp"
#include "registry/reference.hpp"
#include "storage/blob_store.hpp"
#include "storage/chain_id.hpp"
#include "storage/container_diff.hpp"
#include "storage/layer_store.hpp"
#include "storage/layer_tar.hpp"
#include "storage/layer_unpack.hpp"
#include "transport/config_changes.hpp"

namespace berth::transport {
namespace {

using nlohmann::json;
namespace media_type = registry::media_type;

void report(const ImageCommit& commit, const std::string& line) {
    if (commit.report) commit.report(line);
}

struct NewLayer {
    std::string blob_digest;
    uint64_t blob_size = 0;
    std::string diff_id;
};

// The layer's tar stream as a gzip-compressed blob in the store.
NewLayer write_layer_blob(const ImageCommit& commit, storage::BlobStore& blobs) {
    auto writer = blobs.begin_write();
    Sha256 uncompressed;
    storage::GzipWriter gzip([&writer](const char* data, size_t size) { writer.write(data, size); });
    commit.write_layer([&](const char* data, size_t size) {
        uncompressed.update(data, size);
        gzip.write(data, size);
    });
    gzip.finish();
    NewLayer layer{writer.digest_so_far(), writer.size(), uncompressed.finish()};
    writer.commit(layer.blob_digest, layer.blob_size);
    return layer;
}

// The layer unpacked into the layer store, as a pulled one; returns its bytes of content.
uint64_t unpack_new_layer(const ImageCommit& commit, const storage::BlobStore& blobs, const NewLayer& layer,
                          const std::string& chain_id) {
    storage::LayerStore layers(commit.graph_root);
    if (layers.contains(chain_id)) return layers.size_of(chain_id);
    auto pending = layers.begin(chain_id);
    storage::UnpackOptions options;
    options.rootless = commit.rootless;
    auto unpacked = storage::unpack_layer_file(blobs.path_of(layer.blob_digest), pending.diff_path(), options);
    if (unpacked.diff_id != layer.diff_id)
        throw Error("committed layer " + layer.blob_digest + ": unpacked as " + unpacked.diff_id + ", written as " +
                    layer.diff_id);
    layers.commit(pending, chain_id, layer.diff_id, layer.blob_digest, unpacked.bytes);
    return unpacked.bytes;
}

// The config of an image with no layers, for FROM scratch.
json scratch_config() {
    auto platform = host_platform();
    json config = {{"architecture", platform.architecture},
                   {"os", platform.os},
                   {"config", json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                   {"history", json::array()}};
    if (!platform.variant.empty()) config["variant"] = platform.variant;
    return config;
}

std::string new_config(const ImageCommit& commit, const storage::BlobStore& blobs, const std::optional<NewLayer>& layer,
                       const std::string& created) {
    json config = commit.base ? json::parse(blobs.read(commit.base->id)) : scratch_config();
    config["config"] = commit.config;
    config["created"] = created;
    if (!commit.author.empty()) config["author"] = commit.author;
    config["rootfs"]["type"] = "layers";
    if (!config["rootfs"].contains("diff_ids")) config["rootfs"]["diff_ids"] = json::array();
    if (!config.contains("history") || !config["history"].is_array()) config["history"] = json::array();
    if (commit.squash) {
        config["rootfs"]["diff_ids"] = json::array();
        config["history"] = json::array();
    }
    if (layer) config["rootfs"]["diff_ids"].push_back(layer->diff_id);
    for (const auto& entry : commit.history) config["history"].push_back(entry);
    return config.dump();
}

// The base image's manifest (or an empty one) with the new config and the layer added, in the format asked for.
FormattedManifest new_manifest(const ImageCommit& commit, const storage::BlobStore& blobs,
                               const std::optional<NewLayer>& layer, const std::string& config_body) {
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", media_type::oci_manifest},
                     {"config", {{"mediaType", media_type::oci_config}}},
                     {"layers", json::array()}};
    std::string media = std::string(media_type::oci_manifest);
    if (commit.base) {
        manifest = json::parse(blobs.read(commit.base->manifest_digest));
        media = commit.base->manifest_media_type;
    }
    if (!manifest.contains("layers") || !manifest["layers"].is_array())
        throw Error("image " + commit.base->id +
                    ": its manifest lists no layers (schema 1 images cannot be committed)");
    bool docker = media == media_type::docker_manifest;
    manifest.erase("annotations");
    if (commit.squash) manifest["layers"] = json::array();
    manifest["config"]["digest"] = sha256_digest(config_body);
    manifest["config"]["size"] = config_body.size();
    if (layer)
        manifest["layers"].push_back(
            {{"mediaType", docker ? media_type::docker_layer_gzip : media_type::oci_layer_gzip},
             {"digest", layer->blob_digest},
             {"size", layer->blob_size}});
    return format_manifest(manifest.dump(), media, commit.format);
}

// The container's runtime config.json: its process's environment, arguments and working directory.
json container_process(const CommitRequest& request) {
    auto paths = storage::ContainerStore(request.graph_root).paths_of(request.container.id);
    auto text = read_file_if_exists(paths.spec);
    if (!text) return json::object();
    json spec = json::parse(*text, nullptr, false);
    if (!spec.is_object()) return json::object();
    return spec.value("process", json::object());
}

std::vector<std::string> strings_of(const json& value) {
    std::vector<std::string> out;
    if (value.is_array())
        for (const auto& item : value)
            if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

// The container's settings over the image's, as Podman's commit takes them: environment, command (the arguments
// after the image's entrypoint) and working directory.
void take_container_settings(const CommitRequest& request, json& config) {
    json process = container_process(request);
    if (auto env = strings_of(process.value("env", json::array())); !env.empty()) {
        std::erase_if(env, [](const std::string& item) { return item.starts_with("HOSTNAME="); });
        config["Env"] = env;
    }
    const auto& args = request.container.command;
    auto entrypoint = strings_of(config.value("Entrypoint", json::array()));
    if (!args.empty() && args.size() >= entrypoint.size() &&
        std::equal(entrypoint.begin(), entrypoint.end(), args.begin()))
        config["Cmd"] = std::vector<std::string>(args.begin() + static_cast<long>(entrypoint.size()), args.end());
    if (std::string cwd = process.value("cwd", ""); !cwd.empty() && (cwd != "/" || config.contains("WorkingDir")))
        config["WorkingDir"] = cwd;
}

}  // namespace

std::string commit_image_name(const std::string& text) {
    auto reference = registry::parse_reference(text);
    std::string name = registry::has_explicit_domain(text) ? text : "localhost/" + text;
    if (reference.tag.empty() && reference.digest.empty()) name += ":latest";
    return name;
}

std::string timestamp_now() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    tm parts{};
    ::gmtime_r(&now.tv_sec, &parts);
    char text[64];
    size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    std::snprintf(text + length, sizeof text - length, ".%09ldZ", now.tv_nsec);
    return text;
}

storage::ImageRecord commit_image(const ImageCommit& commit) {
    storage::BlobStore blobs(commit.graph_root);
    storage::ImageStore images(commit.graph_root);
    auto lock = images.lock_exclusive();  // no garbage collection between writing the blobs and the record
    report(commit, "Getting image source signatures");
    if (commit.base && !commit.squash)
        for (const auto& digest : commit.base->layer_digests)
            report(commit, "Copying blob " + digest.substr(7, 12) + " skipped: already exists");
    std::optional<NewLayer> layer;
    if (commit.write_layer) {
        layer = write_layer_blob(commit, blobs);
        report(commit, "Copying blob " + layer->blob_digest.substr(7, 12) + " done");
    }

    storage::ImageRecord record;
    bool keep_base = commit.base && !commit.squash;
    if (keep_base) record.diff_ids = commit.base->diff_ids;
    if (layer) record.diff_ids.push_back(layer->diff_id);
    record.layers = storage::chain_ids(record.diff_ids);
    uint64_t size = layer ? unpack_new_layer(commit, blobs, *layer, record.layers.back()) : 0;

    std::string created = timestamp_now();
    std::string config = new_config(commit, blobs, layer, created);
    record.id = sha256_digest(config);
    blobs.put(record.id, config);
    report(commit, "Copying config " + record.id.substr(7, 12) + " done");
    auto manifest = new_manifest(commit, blobs, layer, config);
    report(commit, "Writing manifest to image destination");
    record.manifest_digest = sha256_digest(manifest.body);
    record.manifest_media_type = manifest.media_type;
    blobs.put(record.manifest_digest, manifest.body);
    report(commit, "Storing signatures");

    if (!commit.name.empty()) record.names = {commit.name};
    record.digests = {record.manifest_digest};
    if (keep_base) record.layer_digests = commit.base->layer_digests;
    if (layer) record.layer_digests.push_back(layer->blob_digest);
    record.created = created;
    record.size = (keep_base ? commit.base->size : 0) + static_cast<int64_t>(size);
    record.pulled_at = std::time(nullptr);
    images.put(record);
    return record;
}

std::function<void(const storage::ByteSink&)> container_layer_writer(const std::string& graph_root,
                                                                     const storage::ContainerRecord& container,
                                                                     bool squash,
                                                                     const std::vector<std::string>& left_out) {
    return [graph_root, container, squash, left_out](const storage::ByteSink& sink) {
        auto trees = storage::container_trees(graph_root, container);
        std::erase_if(trees.changes, [&](const storage::Change& change) {
            return change.kind == storage::ChangeKind::added &&
                   std::find(left_out.begin(), left_out.end(), change.path) != left_out.end();
        });
        if (squash)
            storage::write_view_tar(trees.container, sink);
        else
            storage::write_changes_tar(trees.changes, trees.container, sink);
    };
}

storage::ImageRecord commit_container(const CommitRequest& request) {
    storage::BlobStore blobs(request.graph_root);
    ImageCommit commit;
    commit.graph_root = request.graph_root;
    commit.base = request.base;
    json base_config = json::parse(blobs.read(request.base.id));
    commit.config = base_config.value("config", json::object());
    if (!commit.config.is_object()) commit.config = json::object();
    take_container_settings(request, commit.config);
    apply_config_changes(commit.config, request.changes);
    commit.author = request.author;
    json history = {{"created", timestamp_now()}, {"created_by", "/bin/sh"}};
    if (!request.author.empty()) history["author"] = request.author;
    history["comment"] = request.message.empty() ? "FROM " + request.base_name : request.message;
    commit.history = {history};
    commit.write_layer = container_layer_writer(request.graph_root, request.container, request.squash);
    commit.name = request.name;
    commit.format = request.format;
    commit.squash = request.squash;
    commit.rootless = request.rootless;
    commit.report = request.report;
    return commit_image(commit);
}

}  // namespace berth::transport

#include "transport/container_commit.hpp"

#include <time.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
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

void report(const CommitRequest& request, const std::string& line) {
    if (request.report) request.report(line);
}

// RFC 3339 in UTC with nanoseconds, as the image spec's "created".
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

struct NewLayer {
    std::string blob_digest;
    uint64_t blob_size = 0;
    std::string diff_id;
};

// The changes as a gzip-compressed tar blob in the store.
NewLayer write_layer_blob(const CommitRequest& request, storage::BlobStore& blobs) {
    auto trees = storage::container_trees(request.graph_root, request.container);
    auto writer = blobs.begin_write();
    Sha256 uncompressed;
    storage::GzipWriter gzip([&writer](const char* data, size_t size) { writer.write(data, size); });
    auto sink = [&](const char* data, size_t size) {
        uncompressed.update(data, size);
        gzip.write(data, size);
    };
    if (request.squash)
        storage::write_view_tar(trees.container, sink);
    else
        storage::write_changes_tar(trees.changes, trees.container, sink);
    gzip.finish();
    NewLayer layer{writer.digest_so_far(), writer.size(), uncompressed.finish()};
    writer.commit(layer.blob_digest, layer.blob_size);
    return layer;
}

// The layer unpacked into the layer store, as a pulled one; returns its bytes of content.
uint64_t unpack_new_layer(const CommitRequest& request, const storage::BlobStore& blobs, const NewLayer& layer,
                          const std::string& chain_id) {
    storage::LayerStore layers(request.graph_root);
    if (layers.contains(chain_id)) return layers.size_of(chain_id);
    auto pending = layers.begin(chain_id);
    storage::UnpackOptions options;
    options.rootless = request.rootless;
    auto unpacked = storage::unpack_layer_file(blobs.path_of(layer.blob_digest), pending.diff_path(), options);
    if (unpacked.diff_id != layer.diff_id)
        throw Error("committed layer " + layer.blob_digest + ": unpacked as " + unpacked.diff_id + ", written as " +
                    layer.diff_id);
    layers.commit(pending, chain_id, layer.diff_id, layer.blob_digest, unpacked.bytes);
    return unpacked.bytes;
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

std::string new_config(const CommitRequest& request, const storage::BlobStore& blobs, const NewLayer& layer,
                       const std::string& created) {
    json config = json::parse(blobs.read(request.base.id));
    json& settings = config["config"];
    if (!settings.is_object()) settings = json::object();
    take_container_settings(request, settings);
    apply_config_changes(settings, request.changes);
    config["created"] = created;
    if (!request.author.empty()) config["author"] = request.author;
    config["rootfs"]["type"] = "layers";
    if (request.squash) {
        config["rootfs"]["diff_ids"] = json::array();
        config["history"] = json::array();
    }
    config["rootfs"]["diff_ids"].push_back(layer.diff_id);
    json history = {{"created", created}, {"created_by", "/bin/sh"}};
    if (!request.author.empty()) history["author"] = request.author;
    history["comment"] = request.message.empty() ? "FROM " + request.base_name : request.message;
    config["history"].push_back(history);
    return config.dump();
}

// The base image's manifest with the new config and the layer added, in the format asked for.
FormattedManifest new_manifest(const CommitRequest& request, const storage::BlobStore& blobs, const NewLayer& layer,
                               const std::string& config_body) {
    json manifest = json::parse(blobs.read(request.base.manifest_digest));
    if (!manifest.contains("layers") || !manifest["layers"].is_array())
        throw Error("image " + request.base.id +
                    ": its manifest lists no layers (schema 1 images cannot be committed)");
    bool docker = request.base.manifest_media_type == media_type::docker_manifest;
    manifest.erase("annotations");
    if (request.squash) manifest["layers"] = json::array();
    manifest["config"]["digest"] = sha256_digest(config_body);
    manifest["config"]["size"] = config_body.size();
    manifest["layers"].push_back({{"mediaType", docker ? media_type::docker_layer_gzip : media_type::oci_layer_gzip},
                                  {"digest", layer.blob_digest},
                                  {"size", layer.blob_size}});
    return format_manifest(manifest.dump(), request.base.manifest_media_type, request.format);
}

}  // namespace

std::string commit_image_name(const std::string& text) {
    auto reference = registry::parse_reference(text);
    std::string name = registry::has_explicit_domain(text) ? text : "localhost/" + text;
    if (reference.tag.empty() && reference.digest.empty()) name += ":latest";
    return name;
}

storage::ImageRecord commit_container(const CommitRequest& request) {
    storage::BlobStore blobs(request.graph_root);
    storage::ImageStore images(request.graph_root);
    auto lock = images.lock_exclusive();  // no garbage collection between writing the blobs and the record
    report(request, "Getting image source signatures");
    for (const auto& digest : request.squash ? std::vector<std::string>{} : request.base.layer_digests)
        report(request, "Copying blob " + digest.substr(7, 12) + " skipped: already exists");
    NewLayer layer = write_layer_blob(request, blobs);
    report(request, "Copying blob " + layer.blob_digest.substr(7, 12) + " done");

    storage::ImageRecord record;
    if (!request.squash) record.diff_ids = request.base.diff_ids;
    record.diff_ids.push_back(layer.diff_id);
    record.layers = storage::chain_ids(record.diff_ids);
    uint64_t size = unpack_new_layer(request, blobs, layer, record.layers.back());

    std::string created = timestamp_now();
    std::string config = new_config(request, blobs, layer, created);
    record.id = sha256_digest(config);
    blobs.put(record.id, config);
    report(request, "Copying config " + record.id.substr(7, 12) + " done");
    auto manifest = new_manifest(request, blobs, layer, config);
    report(request, "Writing manifest to image destination");
    record.manifest_digest = sha256_digest(manifest.body);
    record.manifest_media_type = manifest.media_type;
    blobs.put(record.manifest_digest, manifest.body);
    report(request, "Storing signatures");

    if (!request.name.empty()) record.names = {request.name};
    record.digests = {record.manifest_digest};
    if (!request.squash) record.layer_digests = request.base.layer_digests;
    record.layer_digests.push_back(layer.blob_digest);
    record.created = created;
    record.size = (request.squash ? 0 : request.base.size) + static_cast<int64_t>(size);
    record.pulled_at = std::time(nullptr);
    images.put(record);
    return record;
}

}  // namespace berth::transport

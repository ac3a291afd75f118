#include "transport/image_push.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "registry/blob_upload.hpp"
#include "registry/client.hpp"
#include "registry/manifest_upload.hpp"
#include "storage/blob_store.hpp"
#include "transport/push_destination.hpp"

namespace berth::transport {
namespace {

// As containers/image: enough to fill a link, few enough not to swamp a registry.
constexpr size_t max_parallel_uploads = 6;

// A blob of the image, opened in the store.
struct StoredBlob {
    std::string digest;
    uint64_t size = 0;
    UniqueFd fd;
};

void report(const PushRequest& request, const std::string& line) {
    if (request.report) request.report(line);
}

std::string short_digest(const std::string& digest) { return digest.substr(7, 12); }

void check_compression(const std::string& compression) {
    if (compression != "gzip" && compression != "zstd")
        throw Error("cannot find compressor for \"" + compression + "\"");
}

// The destination as registries.conf has it: blocked registries refused, a [[registry]] location in place of its
// prefix; `insecure` says whether that registry speaks plain HTTP.
registry::Reference locate(const registry::RegistriesConf& conf, registry::Reference reference, bool& insecure) {
    insecure = false;
    const registry::RegistryConfig* entry = registry::find_registry(conf, reference.name());
    if (entry == nullptr) return reference;
    if (entry->blocked) throw Error("registry " + entry->prefix + " is blocked in " + entry->origin);
    insecure = entry->endpoint.insecure;
    const std::string& location = entry->endpoint.location;
    if (location.empty() || location == entry->prefix || entry->prefix.starts_with("*.")) return reference;
    std::string name = location + reference.name().substr(entry->prefix.size());
    registry::Reference moved = registry::parse_reference(name);
    moved.tag = reference.tag;
    moved.digest = reference.digest;
    return registry::normalize_reference(moved);
}

// A repository of the destination's registry that the image came from (by one of its names), to mount blobs from.
std::string mount_source(const storage::ImageRecord& image, const registry::Reference& destination) {
    for (const std::string& name : image.names) {
        try {
            registry::Reference known = registry::parse_reference(name);
            if (known.domain == destination.domain && known.path != destination.path) return known.path;
        } catch (const Error&) {
            continue;
        }
    }
    return {};
}

StoredBlob open_blob(const storage::BlobStore& blobs, const std::string& digest, uint64_t size,
                     const std::string& what) {
    StoredBlob blob{digest, size, UniqueFd(::open(blobs.path_of(digest).c_str(), O_RDONLY | O_CLOEXEC))};
    if (!blob.fd) {
        if (errno == ENOENT)
            throw Error(what + " " + digest + " is not in the store (recompressing unpacked layers is not supported)");
        throw_last_errno("open " + blobs.path_of(digest));
    }
    struct stat status {};
    if (::fstat(blob.fd.get(), &status) != 0) throw_last_errno("stat " + blobs.path_of(digest));
    if (static_cast<uint64_t>(status.st_size) != size)
        throw Error(what + " " + digest + ": the store has " + std::to_string(status.st_size) +
                    " bytes, the manifest says " + std::to_string(size));
    return blob;
}

// The config and layer blobs the manifest names, opened now so that a removal of the image meanwhile does not
// take them away mid-push.
std::pair<StoredBlob, std::vector<StoredBlob>> open_blobs(const storage::BlobStore& blobs,
                                                          const std::string& manifest_body, const std::string& where) {
    auto manifest = nlohmann::json::parse(manifest_body, nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object() || !manifest.contains("config") ||
        !manifest.contains("layers"))
        throw Error(where + ": the stored manifest is not an image manifest");
    try {
        const auto& config = manifest["config"];
        StoredBlob config_blob =
            open_blob(blobs, config.at("digest").get<std::string>(), config.at("size").get<uint64_t>(), "config");
        std::vector<StoredBlob> layers;
        for (const auto& layer : manifest["layers"])
            layers.push_back(
                open_blob(blobs, layer.at("digest").get<std::string>(), layer.at("size").get<uint64_t>(), "layer"));
        return {std::move(config_blob), std::move(layers)};
    } catch (const nlohmann::json::exception& error) {
        throw Error(where + ": the stored manifest is not an image manifest: " + error.what());
    }
}

registry::ClientOptions client_options(const PushRequest& request, const registry::Reference& destination,
                                       bool insecure) {
    registry::ClientOptions options;
    options.tls_verify = request.tls_verify.value_or(!insecure);
    options.plain_http = !options.tls_verify;
    options.push_access = true;
    options.credentials = request.credentials;
    if (!options.credentials && request.stored_credentials)
        options.credentials = request.stored_credentials(destination);
    return options;
}

// Uploads the layers, at most max_parallel_uploads at once, each taking the next layer not yet taken; rethrows the
// first failure once all have ended.
void upload_layers(const PushRequest& request, registry::RegistryClient& client, const std::vector<StoredBlob>& layers,
                   const std::string& mount_from) {
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> failures(layers.size());
    std::mutex report_mutex;
    std::atomic<size_t> next{0};
    auto progress = [&](const StoredBlob& layer, uint64_t bytes, bool done) {
        if (!request.progress) return;
        std::lock_guard lock(report_mutex);
        request.progress({layer.digest, bytes, layer.size, done});
    };
    auto upload = [&](size_t i) {
        const StoredBlob& layer = layers[i];
        try {
            registry::BlobUploadOptions options;
            options.mount_from = mount_from;
            options.chunk_size = request.chunk_size;
            options.progress = [&](uint64_t bytes) { progress(layer, bytes, false); };
            auto outcome = registry::upload_blob(client, {layer.digest, layer.size, layer.fd.get()}, options);
            progress(layer, layer.size, true);
            std::lock_guard lock(report_mutex);
            report(request,
                   "Copying blob " + short_digest(layer.digest) +
                       (outcome == registry::BlobUploadOutcome::uploaded ? " done" : " skipped: already exists"));
        } catch (...) {
            failures[i] = std::current_exception();
        }
    };
    size_t count = std::min(layers.size(), max_parallel_uploads);
    for (size_t w = 0; w < count; ++w) {
        workers.emplace_back([&] {
            for (size_t i = next++; i < layers.size(); i = next++) upload(i);
        });
    }
    for (auto& worker : workers) worker.join();
    for (auto& failure : failures)
        if (failure) std::rethrow_exception(failure);
}

}  // namespace

PushResult push_image(const PushRequest& request) {
    check_compression(request.compression);
    registry::Reference wanted = parse_push_destination(request.destination);
    auto conf = registry::load_registries_conf(
        request.registries_conf ? *request.registries_conf
                                : registry::registries_conf_paths(registry::RegistriesConfEnvironment::from_process()));
    bool insecure = false;
    registry::Reference destination = locate(conf, wanted, insecure);

    storage::BlobStore blobs(request.graph_root);
    const storage::ImageRecord& image = request.image;
    std::string where = "image " + image.id.substr(7, 12);
    std::string stored_manifest = blobs.read(image.manifest_digest);
    auto [config, layers] = open_blobs(blobs, stored_manifest, where);
    FormattedManifest manifest = format_manifest(stored_manifest, image.manifest_media_type, request.format);

    registry::RegistryClient client(destination.domain, destination.path,
                                    client_options(request, destination, insecure));
    report(request, "Getting image source signatures");
    std::string mount_from = mount_source(image, destination);
    upload_layers(request, client, layers, mount_from);
    registry::BlobUploadOptions config_options;
    config_options.mount_from = mount_from;
    registry::upload_blob(client, {config.digest, config.size, config.fd.get()}, config_options);
    report(request, "Copying config " + short_digest(config.digest) + " done");

    report(request, "Writing manifest to image destination");
    std::string reference = destination.tag.empty() ? destination.digest : destination.tag;
    std::string digest = registry::put_manifest(client, reference, manifest.media_type, manifest.body);
    report(request, "Storing signatures");
    return {destination, digest};
}

}  // namespace berth::transport

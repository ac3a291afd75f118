#include "engine/image_pull.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "engine/image_manifest.hpp"
#include "registry/client.hpp"
#include "registry/media_types.hpp"
#include "registry/reference.hpp"
#include "registry/registries_conf.hpp"
#include "storage/blob_store.hpp"
#include "storage/chain_id.hpp"
#include "storage/image_store.hpp"
#include "storage/layer_store.hpp"
#include "storage/layer_unpack.hpp"

namespace berth::engine {
namespace {

namespace media_type = registry::media_type;

struct Stores {
    storage::BlobStore blobs;
    storage::LayerStore layers;
    storage::ImageStore images;
    explicit Stores(const std::string& root) : blobs(root), layers(root), images(root) {}
};

void report(const PullRequest& request, const std::string& line) {
    if (request.report) request.report(line);
}

std::vector<std::string> manifest_accept_list() {
    return {media_type::manifest_types.begin(), media_type::manifest_types.end()};
}

// Fetches a layer blob, storing the compressed bytes and unpacking them as they arrive; keeps
// either both (digest verified) or nothing.
void fetch_layer(registry::RegistryClient& client, Stores& stores, const Descriptor& layer, const std::string& chain_id,
                 const std::string& diff_id, bool rootless, const std::function<void(uint64_t)>& progress) {
    auto pending = stores.layers.begin(chain_id);
    UniqueFd root(::open(pending.diff_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_last_errno("open " + pending.diff_path());
    auto writer = stores.blobs.begin_write();
    registry::BlobReader reader(client, layer.digest, layer.size, progress);
    auto read_chunk = [&](char* buffer, size_t size) {
        size_t got = reader.read(buffer, size);
        writer.write(buffer, got);
        return got;
    };
    storage::UnpackOptions options;
    options.rootless = rootless;
    auto unpacked = storage::unpack_layer(read_chunk, root.get(), options);
    char rest[65536];
    while (read_chunk(rest, sizeof rest) > 0) {
    }
    reader.finish();
    if (unpacked.diff_id != diff_id)
        throw Error("layer " + layer.digest + ": its content is " + unpacked.diff_id + " but the config says " +
                    diff_id);
    writer.commit(layer.digest, layer.size);
    stores.layers.commit(pending, chain_id, diff_id, layer.digest, unpacked.bytes);
}

// Fetches a layer's blob alone, for a layer that is unpacked already (from another image's blob of it), so that the
// image keeps its own blobs and can be pushed with its digests.
void fetch_layer_blob(registry::RegistryClient& client, Stores& stores, const Descriptor& layer,
                      const std::function<void(uint64_t)>& progress) {
    auto writer = stores.blobs.begin_write();
    client.fetch_blob(
        layer.digest, layer.size, [&](const char* data, size_t size) { writer.write(data, size); }, progress);
    writer.commit(layer.digest, layer.size);
}

// Fetches every missing layer, one thread each; rethrows the first failure after all have ended.
// Returns the bytes of file content of all the layers.
uint64_t fetch_layers(const PullRequest& request, registry::RegistryClient& client, Stores& stores,
                      const ImageManifest& manifest, const std::vector<std::string>& diff_ids,
                      const std::vector<std::string>& chain) {
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> failures(manifest.layers.size());
    std::mutex report_mutex;
    auto progress = [&](const Descriptor& layer, uint64_t bytes, bool done) {
        if (!request.progress) return;
        std::lock_guard lock(report_mutex);
        request.progress({layer.digest, bytes, layer.size, done});
    };
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const auto& layer = manifest.layers[i];
        bool unpacked = stores.layers.contains(chain[i]);
        if (unpacked && stores.blobs.contains(layer.digest)) {
            report(request, "Copying blob " + layer.digest.substr(7, 12) + " skipped: already exists");
            progress(layer, layer.size, true);
            continue;
        }
        workers.emplace_back([&, i, unpacked] {
            const auto& mine = manifest.layers[i];
            try {
                auto bytes_so_far = [&](uint64_t bytes) { progress(mine, bytes, false); };
                if (unpacked)
                    fetch_layer_blob(client, stores, mine, bytes_so_far);
                else
                    fetch_layer(client, stores, mine, chain[i], diff_ids[i], request.rootless, bytes_so_far);
                progress(mine, mine.size, true);
                std::lock_guard lock(report_mutex);
                report(request, "Copying blob " + mine.digest.substr(7, 12) + " done");
            } catch (...) {
                failures[i] = std::current_exception();
            }
        });
    }
    for (auto& worker : workers) worker.join();
    throw_if_interrupted();  // rather than whichever layer noticed it first
    for (auto& failure : failures)
        if (failure) std::rethrow_exception(failure);
    uint64_t total = 0;
    for (const auto& chain_id : chain) total += stores.layers.size_of(chain_id);
    return total;
}

struct ResolvedManifest {
    registry::Manifest manifest;
    std::optional<registry::Manifest> index;  // when the reference named an index / manifest list
};

ResolvedManifest resolve_manifest(const PullRequest& request, registry::RegistryClient& client,
                                  const registry::Reference& reference) {
    std::string tag_or_digest = reference.digest.empty() ? reference.tag : reference.digest;
    std::string where = "manifest " + reference.to_string();
    auto fetched = client.get_manifest(tag_or_digest, manifest_accept_list());
    if (media_type::is_schema1(fetched.media_type))
        throw Error(where +
                    ": Docker schema 1 images are not supported (the image must be re-pushed in a "
                    "current format)");
    if (!media_type::is_index(fetched.media_type)) return {std::move(fetched), std::nullopt};
    Platform wanted = request.platform.value_or(host_platform());
    auto chosen = select_platform(parse_index(fetched.body, where), wanted, where);
    auto image = client.get_manifest(chosen.digest, manifest_accept_list());
    if (image.media_type != chosen.media_type)
        throw Error(where + ": the index says its entry " + chosen.digest + " is " + chosen.media_type +
                    " but the registry serves " + (image.media_type.empty() ? "no media type" : image.media_type));
    if (!media_type::is_image_manifest(image.media_type) || media_type::is_schema1(image.media_type))
        throw Error(where + ": the entry for " + wanted.os + "/" + wanted.architecture + " is not an image manifest (" +
                    image.media_type + ")");
    return {std::move(image), std::move(fetched)};
}

// What killed pulls left behind; failing to clean it up must not fail this pull.
void remove_leftovers(Stores& stores) {
    try {
        stores.layers.remove_stale_temporaries();
        stores.blobs.remove_stale_temporaries();
    } catch (const Error& error) {
        log_warning(std::string("cleaning up after an interrupted pull: ") + error.what());
    }
}

// --tls-verify when given, else insecure = true in registries.conf for the registry or mirror: plain HTTP.
// Credentials: --creds everywhere, else what is stored for the place tried.
registry::ClientOptions client_options(const PullRequest& request, const registry::PullSource& source) {
    const registry::Reference& place = source.reference;
    registry::ClientOptions options;
    options.tls_verify = registry::verify_tls(request.tls_verify, source);
    options.plain_http = !options.tls_verify;
    options.stall_seconds = registry::stall_seconds_from_environment();
    options.credentials = request.credentials;
    if (!options.credentials && request.stored_credentials) options.credentials = request.stored_credentials(place);
    return options;
}

std::string join(const std::vector<std::string>& items) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : "; ") + item;
    return joined;
}

// Finds the image at the first of the reference's pull sources (mirrors, then the registry's own location) that has
// it; a source that fails in any way is skipped for the next one. The manifest is then resolved, and the client
// talks to where it was found.
std::pair<std::unique_ptr<registry::RegistryClient>, ResolvedManifest> open_source(
    const PullRequest& request, const registry::RegistriesConf& conf, const registry::Reference& reference) {
    auto sources = registry::pull_sources(conf, reference);
    std::vector<std::string> mirror_failures;
    for (size_t i = 0;; ++i) {
        const auto& source = sources[i];
        log_debug("Trying to access " + source.reference.to_string());
        auto client = std::make_unique<registry::RegistryClient>(source.reference.domain, source.reference.path,
                                                                 client_options(request, source));
        try {
            auto resolved = resolve_manifest(request, *client, source.reference);
            return {std::move(client), std::move(resolved)};
        } catch (const Error& error) {
            throw_if_interrupted();  // not a reason to try the next source
            log_debug("Accessing " + source.reference.to_string() + " failed: " + error.what());
            if (i + 1 < sources.size()) {
                mirror_failures.push_back(error.what());
                continue;
            }
            if (mirror_failures.empty()) throw;
            throw Error(std::string(error.what()) + " (mirrors also failed: " + join(mirror_failures) + ")",
                        error.exit_status());
        }
    }
}

std::string pull_reference(const PullRequest& request, const registry::RegistriesConf& conf, Stores& stores,
                           const registry::Reference& reference) {
    auto [source, resolved] = open_source(request, conf, reference);
    registry::RegistryClient& client = *source;
    std::string where = "manifest " + resolved.manifest.digest + " of " + reference.to_string();
    auto manifest = parse_image_manifest(resolved.manifest.body, where);

    report(request, "Getting image source signatures");
    std::string config_body;
    client.fetch_blob(manifest.config.digest, manifest.config.size,
                      [&](const char* data, size_t size) { config_body.append(data, size); });
    auto config = parse_image_config(config_body, "config " + manifest.config.digest, manifest.config.media_type);
    if (config.diff_ids.size() != manifest.layers.size())
        throw Error(where + ": " + std::to_string(manifest.layers.size()) + " layers but the config lists " +
                    std::to_string(config.diff_ids.size()) + " diff ids");
    auto chain = storage::chain_ids(config.diff_ids);
    uint64_t size = fetch_layers(request, client, stores, manifest, config.diff_ids, chain);

    report(request, "Copying config " + manifest.config.digest.substr(7, 12) + " done");
    stores.blobs.put(manifest.config.digest, config_body);
    stores.blobs.put(resolved.manifest.digest, resolved.manifest.body);
    if (resolved.index) stores.blobs.put(resolved.index->digest, resolved.index->body);  // kept to push it again
    report(request, "Writing manifest to image destination");

    storage::ImageRecord record;
    record.id = manifest.config.digest;
    if (auto existing = stores.images.find(record.id)) record = *existing;
    std::string name = reference.name() + ":" + (reference.tag.empty() ? "latest" : reference.tag);
    if (reference.digest.empty() && std::find(record.names.begin(), record.names.end(), name) == record.names.end())
        record.names.push_back(name);
    if (std::find(record.digests.begin(), record.digests.end(), resolved.manifest.digest) == record.digests.end())
        record.digests.push_back(resolved.manifest.digest);
    record.manifest_digest = resolved.manifest.digest;
    record.manifest_media_type = resolved.manifest.media_type;
    if (resolved.index) record.index_digest = resolved.index->digest;
    record.layers = chain;
    record.diff_ids = config.diff_ids;
    record.layer_digests.clear();
    for (const auto& layer : manifest.layers) record.layer_digests.push_back(layer.digest);
    record.created = config.created;
    record.size = static_cast<int64_t>(size);
    record.pulled_at = static_cast<int64_t>(std::time(nullptr));
    stores.images.put(record);
    return record.id;
}

}  // namespace

std::string pull_image(const PullRequest& request) {
    registry::parse_reference(request.reference);  // a malformed reference fails before any file or network
    auto conf = registry::load_registries_conf(
        request.registries_conf ? *request.registries_conf
                                : registry::registries_conf_paths(registry::RegistriesConfEnvironment::from_process()));
    bool terminal = ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
    auto resolution = registry::resolve_short_name(conf, request.reference, terminal);
    if (!resolution.description.empty()) report(request, resolution.description);

    Stores stores(request.graph_root);
    remove_leftovers(stores);
    // As Podman: the candidates of a short name in order, until one of them has the image.
    std::vector<std::string> failures;
    for (const auto& candidate : resolution.candidates) {
        report(request, "Trying to pull " + candidate.to_string() + "...");
        try {
            return pull_reference(request, conf, stores, candidate);
        } catch (const Error& error) {
            throw_if_interrupted();
            if (resolution.candidates.size() == 1) throw;
            failures.push_back(error.what());
        }
    }
    throw Error(std::to_string(failures.size()) + " errors occurred while pulling: " + join(failures));
}

}  // namespace berth::engine

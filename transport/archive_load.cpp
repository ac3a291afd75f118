#include "transport/archive_load.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/platform.hpp"
#include "common/unique_fd.hpp"
#include "registry/media_types.hpp"
#include "registry/reference.hpp"
#include "storage/archive_library.hpp"
#include "storage/blob_store.hpp"
#include "storage/chain_id.hpp"
#include "storage/image_store.hpp"
#include "storage/layer_store.hpp"
#include "storage/layer_unpack.hpp"
#include "transport/archive_manifest.hpp"

namespace berth::transport {
namespace {

namespace media_type = registry::media_type;
using nlohmann::json;

struct Stores {
    storage::BlobStore blobs;
    storage::LayerStore layers;
    storage::ImageStore images;
    explicit Stores(const std::string& root) : blobs(root), layers(root), images(root) {}
};

// The archive's members, extracted under a temporary directory, or the files of a layout directory.
class ExtractedArchive {
public:
    explicit ExtractedArchive(const std::string& parent) : temporary_(std::in_place, parent, "berth-load-") {
        root_ = temporary_->path();
    }
    // The regular files of a directory (symbolic links are not followed).
    struct ExistingDirectory {};
    ExtractedArchive(ExistingDirectory, std::string directory) : root_(std::move(directory)) {}

    void add_file(const std::string& name) { files_.insert(name); }
    void add_link(const std::string& name, const std::string& target) { links_[name] = target; }
    bool has(const std::string& name) const { return resolve(name).has_value(); }
    // The file a member name stands for (links followed); nothing when there is none.
    std::optional<std::string> resolve(std::string name) const {
        if (!temporary_) {
            auto plain = archive_member_name(name);
            struct stat status {};
            if (!plain || ::lstat((root_ + "/" + *plain).c_str(), &status) != 0 || !S_ISREG(status.st_mode))
                return std::nullopt;
            return root_ + "/" + *plain;
        }
        for (int hops = 0; hops < 16; ++hops) {
            if (files_.contains(name)) return root_ + "/" + name;
            auto link = links_.find(name);
            if (link == links_.end()) return std::nullopt;
            name = link->second;
        }
        return std::nullopt;
    }
    // The path of a member that must be there; `what` names who wants it in the error.
    std::string path_of(const std::string& name, const std::string& what) const {
        auto path = resolve(name);
        if (!path) throw Error(what + ": the archive has no file \"" + name + "\"");
        return *path;
    }
    const std::string& directory() const { return root_; }

private:
    std::optional<TempDir> temporary_;
    std::string root_;
    std::set<std::string> files_;
    std::map<std::string, std::string> links_;  // member name → member name it stands for
};

std::string temporary_directory() {
    const char* tmpdir = std::getenv("TMPDIR");
    return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/var/tmp";
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw_last_errno("write " + path);
        data += written;
        size -= static_cast<size_t>(written);
    }
}

std::string hostile(const std::string& what) { return "hostile archive: " + what; }

void extract_member(archive* reader, archive_entry* entry, ExtractedArchive& extracted, bool& first) {
    const auto& lib = storage::libarchive();
    const char* raw = lib.archive_entry_pathname(entry);
    std::string name = raw != nullptr ? raw : "";
    first = false;
    auto type = lib.archive_entry_filetype(entry);
    if (name == "." || name == "./" || name.empty()) return;
    auto plain = archive_member_name(name);
    if (!plain) throw Error(hostile("member \"" + name + "\" is outside the archive"));
    if (const char* hardlink = lib.archive_entry_hardlink(entry); hardlink != nullptr) {
        auto target = archive_member_name(hardlink);
        if (!target) throw Error(hostile("link \"" + name + "\" points outside the archive"));
        extracted.add_link(*plain, *target);
        return;
    }
    if (type == AE_IFLNK) {
        const char* link = lib.archive_entry_symlink(entry);
        auto target = resolve_member_link(*plain, link != nullptr ? link : "");
        if (!target) throw Error(hostile("symbolic link \"" + name + "\" points outside the archive"));
        extracted.add_link(*plain, *target);
        return;
    }
    if (type != AE_IFREG) return;  // directories are made as needed; nothing else belongs in an image archive
    std::string path = extracted.directory() + "/" + *plain;
    make_directories(path.substr(0, path.rfind('/')), 0700);
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw_last_errno("create " + path);
    char buffer[1 << 16];
    for (;;) {
        la_ssize_t got = lib.archive_read_data(reader, buffer, sizeof buffer);
        if (got < 0) {
            const char* why = lib.archive_error_string(reader);
            throw Error("reading member " + name + ": " + (why != nullptr ? why : "unknown error"));
        }
        if (got == 0) break;
        write_all(out.get(), buffer, static_cast<size_t>(got), path);
    }
    extracted.add_file(*plain);
}

void extract(const LoadRequest& request, ExtractedArchive& extracted) {
    const auto& lib = storage::libarchive();
    std::unique_ptr<archive, decltype(lib.archive_read_free)> reader(lib.archive_read_new(), lib.archive_read_free);
    lib.archive_read_support_filter_gzip(reader.get());
    lib.archive_read_support_filter_zstd(reader.get());
    lib.archive_read_support_filter_xz(reader.get());
    lib.archive_read_support_filter_bzip2(reader.get());
    lib.archive_read_support_filter_none(reader.get());
    lib.archive_read_support_format_tar(reader.get());
    bool first = true;
    auto fail = [&](const std::string& what) {
        const char* why = lib.archive_error_string(reader.get());
        std::string reason = why != nullptr ? why : "unknown error";
        if (first)
            throw Error("payload does not match any of the supported image formats (docker-archive, oci-archive): " +
                        request.where + ": " + reason);
        throw Error(what + " " + request.where + ": " + reason);
    };
    if (lib.archive_read_open_fd(reader.get(), request.fd, 1 << 16) != ARCHIVE_OK) fail("opening");
    for (;;) {
        archive_entry* entry = nullptr;
        int status = lib.archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) break;
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) fail("reading");
        extract_member(reader.get(), entry, extracted, first);
    }
    if (first)
        throw Error("payload does not match any of the supported image formats (docker-archive, oci-archive): " +
                    request.where + " is empty");
}

struct PlannedLayer {
    std::string path;
    std::string digest;  // the expected blob digest (OCI); empty: whatever the file hashes to
    uint64_t size = 0;   // with the digest
};

struct PlannedImage {
    std::string where;
    std::string config_body;
    std::string config_digest;
    std::vector<std::string> diff_ids;
    std::string created;
    std::vector<PlannedLayer> layers;
    std::vector<std::string> names;
    std::string manifest_body;  // OCI: the archive's manifest; docker-archive: made after the layers are in
    std::string manifest_media_type;
    std::string manifest_digest;
    std::string index_body;  // the multi-platform index the manifest was chosen from, if any
    std::string index_digest;
};

std::string normalized_name(const std::string& name, const std::string& where) {
    try {
        return registry::normalize_reference(registry::parse_reference(name)).to_string();
    } catch (const Error& error) {
        throw Error(where + ": invalid image name \"" + name + "\": " + error.what());
    }
}

void read_config(PlannedImage& image) {
    auto config = json::parse(image.config_body, nullptr, false);
    const std::string where = "config " + image.config_digest + " of " + image.where;
    if (config.is_discarded() || !config.is_object()) throw Error(where + ": not a JSON object");
    try {
        for (const auto& diff_id : config.at("rootfs").at("diff_ids"))
            image.diff_ids.push_back(diff_id.get<std::string>());
        if (config.contains("created") && config["created"].is_string()) image.created = config["created"];
    } catch (const json::exception&) {
        throw Error(where + ": no rootfs.diff_ids");
    }
    storage::chain_ids(image.diff_ids);  // checks them
    if (image.diff_ids.size() != image.layers.size())
        throw Error(image.where + ": " + std::to_string(image.layers.size()) + " layers but the config lists " +
                    std::to_string(image.diff_ids.size()) + " diff ids");
}

std::vector<PlannedImage> plan_docker_archive(const ExtractedArchive& extracted) {
    auto entries = parse_docker_archive_manifest(read_file(extracted.path_of("manifest.json", "docker-archive")));
    std::vector<PlannedImage> images;
    for (const auto& entry : entries) {
        PlannedImage image;
        image.where = "image " + entry.config;
        image.config_body = read_file(extracted.path_of(entry.config, "manifest.json"));
        image.config_digest = sha256_digest(image.config_body);
        image.where = "image " + image.config_digest.substr(7, 12);
        for (const auto& layer : entry.layers)
            image.layers.push_back({extracted.path_of(layer, "manifest.json"), {}, 0});
        for (const auto& tag : entry.repo_tags) image.names.push_back(normalized_name(tag, "manifest.json"));
        read_config(image);
        images.push_back(std::move(image));
    }
    return images;
}

// Where a layout keeps the blob of a digest: the OCI layout's blobs/sha256/<hex>, or the dir: transport's <hex>.
using BlobMember = std::string (*)(const std::string& digest);

std::string dir_blob_member(const std::string& digest) { return oci_blob_member(digest).substr(13); }

// The blob of a digest, read and checked.
std::string read_blob(const ExtractedArchive& extracted, BlobMember member, const std::string& digest,
                      const std::string& what) {
    std::string body = read_file(extracted.path_of(member(digest), what));
    if (sha256_digest(body) != digest) throw Error(what + ": blob " + digest + " does not match its digest");
    return body;
}

// The config and layers of a manifest whose blobs are in the layout.
void plan_manifest(const ExtractedArchive& extracted, BlobMember member, PlannedImage& image) {
    auto manifest = json::parse(image.manifest_body, nullptr, false);
    try {
        image.config_digest = manifest.at("config").at("digest").get<std::string>();
        for (const auto& layer : manifest.at("layers")) {
            auto digest = layer.at("digest").get<std::string>();
            image.layers.push_back(
                {extracted.path_of(member(digest), image.where), digest, layer.at("size").get<uint64_t>()});
        }
    } catch (const json::exception&) {
        throw Error(image.where + ": not an image manifest");
    }
    image.config_body = read_blob(extracted, member, image.config_digest, image.where);
    read_config(image);
}

// The entry of a nested index (a multi-platform image) for this host's platform; it keeps the outer entry's name.
OciIndexEntry host_entry(const std::string& index_body, const OciIndexEntry& outer) {
    Platform host = host_platform();
    auto index = json::parse(index_body, nullptr, false);
    if (index.is_object() && index.contains("manifests") && index["manifests"].is_array()) {
        for (const auto& item : index["manifests"]) {
            if (!item.is_object() || !item.contains("platform") || !item["platform"].is_object()) continue;
            const auto& platform = item["platform"];
            if (platform.value("os", "") != host.os || platform.value("architecture", "") != host.architecture)
                continue;
            OciIndexEntry chosen = parse_oci_index(json{{"manifests", json::array({item})}}.dump()).front();
            chosen.ref_name = outer.ref_name;
            return chosen;
        }
    }
    throw Error("index " + outer.digest + " has no image for " + host.os + "/" + host.architecture);
}

std::vector<PlannedImage> plan_oci_archive(const ExtractedArchive& extracted) {
    auto entries = parse_oci_index(read_file(extracted.path_of("index.json", "oci-archive")));
    std::vector<PlannedImage> images;
    for (auto entry : entries) {
        PlannedImage image;
        if (media_type::is_index(entry.media_type)) {
            image.index_body = read_blob(extracted, oci_blob_member, entry.digest, "index.json");
            image.index_digest = entry.digest;
            entry = host_entry(image.index_body, entry);
        }
        if (entry.media_type != media_type::oci_manifest && entry.media_type != media_type::docker_manifest)
            throw Error("index.json: entry " + entry.digest + " is a " + entry.media_type + ", not an image manifest");
        image.where = "manifest " + entry.digest;
        image.manifest_body = read_blob(extracted, oci_blob_member, entry.digest, "index.json");
        image.manifest_digest = entry.digest;
        image.manifest_media_type = entry.media_type;
        if (!entry.ref_name.empty()) image.names.push_back(normalized_name(entry.ref_name, "index.json"));
        plan_manifest(extracted, oci_blob_member, image);
        images.push_back(std::move(image));
    }
    return images;
}

// The dir: transport's layout (docker-dir): manifest.json and the blobs by their hex digests; the image has no name.
std::vector<PlannedImage> plan_dir(const ExtractedArchive& extracted) {
    PlannedImage image;
    image.manifest_body = read_file(extracted.path_of("manifest.json", "dir"));
    image.manifest_digest = sha256_digest(image.manifest_body);
    image.where = "manifest " + image.manifest_digest;
    auto manifest = json::parse(image.manifest_body, nullptr, false);
    image.manifest_media_type =
        manifest.is_object() && manifest.contains("mediaType") && manifest["mediaType"].is_string()
            ? manifest["mediaType"].get<std::string>()
            : std::string(media_type::oci_manifest);
    if (image.manifest_media_type != media_type::oci_manifest &&
        image.manifest_media_type != media_type::docker_manifest)
        throw Error(image.where + ": " + image.manifest_media_type + " is not an image manifest");
    plan_manifest(extracted, dir_blob_member, image);
    return {std::move(image)};
}

// What this load added to the store, to take away again when it fails.
struct Added {
    std::vector<std::string> blobs;
    std::vector<std::string> layers;
};

bool starts_with_bytes(const unsigned char* bytes, ssize_t got, std::initializer_list<unsigned char> magic) {
    if (got < static_cast<ssize_t>(magic.size())) return false;
    size_t i = 0;
    for (unsigned char byte : magic)
        if (bytes[i++] != byte) return false;
    return true;
}

std::string layer_media_type(int fd) {
    unsigned char magic[4] = {};
    ssize_t got = ::pread(fd, magic, sizeof magic, 0);
    if (starts_with_bytes(magic, got, {0x1f, 0x8b})) return std::string(media_type::oci_layer_gzip);
    if (starts_with_bytes(magic, got, {0x28, 0xb5, 0x2f, 0xfd})) return std::string(media_type::oci_layer_zstd);
    return std::string(media_type::oci_layer_tar);
}

struct ImportedLayer {
    std::string digest;
    uint64_t size = 0;
    std::string media_type;
};

ImportedLayer import_layer(const LoadRequest& request, Stores& stores, Added& added, const PlannedLayer& layer,
                           const std::string& chain_id, const std::string& diff_id) {
    UniqueFd input(::open(layer.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!input) throw_last_errno("open " + layer.path);
    ImportedLayer imported;
    imported.media_type = layer_media_type(input.get());
    auto writer = stores.blobs.begin_write();
    auto read_chunk = [&](char* buffer, size_t size) -> size_t {
        for (;;) {
            ssize_t got = ::read(input.get(), buffer, size);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw_last_errno("read " + layer.path);
            writer.write(buffer, static_cast<size_t>(got));
            return static_cast<size_t>(got);
        }
    };
    char rest[1 << 16];
    std::optional<storage::LayerStore::Pending> pending;
    uint64_t bytes = 0;
    if (!stores.layers.contains(chain_id)) {
        pending.emplace(stores.layers.begin(chain_id));
        UniqueFd root(::open(pending->diff_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_last_errno("open " + pending->diff_path());
        storage::UnpackOptions options;
        options.rootless = request.rootless;
        auto unpacked = storage::unpack_layer(read_chunk, root.get(), options);
        if (unpacked.diff_id != diff_id)
            throw Error("layer " + diff_id + ": its content is " + unpacked.diff_id + " (the archive is damaged)");
        bytes = unpacked.bytes;
    }
    while (read_chunk(rest, sizeof rest) > 0) {
    }
    imported.digest = layer.digest.empty() ? writer.digest_so_far() : layer.digest;
    imported.size = writer.size();
    bool had_blob = stores.blobs.contains(imported.digest);
    writer.commit(imported.digest, layer.digest.empty() ? std::nullopt : std::optional<uint64_t>(layer.size));
    if (!had_blob) added.blobs.push_back(imported.digest);
    if (pending) {
        stores.layers.commit(*pending, chain_id, diff_id, imported.digest, bytes);
        added.layers.push_back(chain_id);
    }
    return imported;
}

// The OCI manifest of an image from a docker-archive, whose layers are stored as the archive had them.
std::string made_manifest(const PlannedImage& image, const std::vector<ImportedLayer>& layers) {
    json layer_list = json::array();
    for (const auto& layer : layers)
        layer_list.push_back({{"mediaType", layer.media_type}, {"digest", layer.digest}, {"size", layer.size}});
    return json{
        {"schemaVersion", 2},
        {"mediaType", media_type::oci_manifest},
        {"config",
         {{"mediaType", media_type::oci_config}, {"digest", image.config_digest}, {"size", image.config_body.size()}}},
        {"layers", layer_list}}
        .dump();
}

void put_blob(Stores& stores, Added& added, const std::string& digest, const std::string& body) {
    if (stores.blobs.contains(digest)) return;
    stores.blobs.put(digest, body);
    added.blobs.push_back(digest);
}

std::vector<std::string> import_image(const LoadRequest& request, Stores& stores, Added& added, PlannedImage& image) {
    if (auto existing = stores.images.find(image.config_digest); existing && existing->id == image.config_digest) {
        storage::ImageRecord record = *existing;  // its layers and blobs are there; only names are new
        for (const auto& name : image.names)
            if (std::find(record.names.begin(), record.names.end(), name) == record.names.end())
                record.names.push_back(name);
        stores.images.put(record);
        return image.names;
    }
    auto chain = storage::chain_ids(image.diff_ids);
    std::vector<ImportedLayer> layers;
    uint64_t size = 0;
    for (size_t i = 0; i < image.layers.size(); ++i) {
        layers.push_back(import_layer(request, stores, added, image.layers[i], chain[i], image.diff_ids[i]));
        size += stores.layers.size_of(chain[i]);
        if (request.report) request.report("Copying blob " + layers.back().digest);
    }
    if (image.manifest_body.empty()) {
        image.manifest_body = made_manifest(image, layers);
        image.manifest_media_type = std::string(media_type::oci_manifest);
        image.manifest_digest = sha256_digest(image.manifest_body);
    }
    put_blob(stores, added, image.config_digest, image.config_body);
    if (request.report) request.report("Copying config " + image.config_digest);
    put_blob(stores, added, image.manifest_digest, image.manifest_body);
    if (!image.index_digest.empty()) put_blob(stores, added, image.index_digest, image.index_body);
    if (request.report) request.report("Writing manifest to image destination");

    storage::ImageRecord record;
    record.id = image.config_digest;
    record.names = image.names;
    record.digests = {image.manifest_digest};
    record.manifest_digest = image.manifest_digest;
    record.manifest_media_type = image.manifest_media_type;
    record.index_digest = image.index_digest;
    record.layers = chain;
    record.diff_ids = image.diff_ids;
    for (const auto& layer : layers) record.layer_digests.push_back(layer.digest);
    record.created = image.created;
    record.size = static_cast<int64_t>(size);
    record.pulled_at = static_cast<int64_t>(std::time(nullptr));
    stores.images.put(record);
    if (request.report) request.report("Storing signatures");
    return image.names;
}

// Takes away what a failed load added that no image uses.
void remove_unused(Stores& stores, const Added& added) noexcept {
    try {
        auto lock = stores.images.lock_exclusive();
        auto layers = stores.images.referenced_layers();
        auto blobs = stores.images.referenced_blobs();
        for (const auto& layer : added.layers)
            if (!layers.contains(layer)) stores.layers.remove(layer);
        for (const auto& blob : added.blobs)
            if (!blobs.contains(blob)) stores.blobs.remove(blob);
    } catch (const Error& error) {
        log_warning(std::string("removing what the failed load stored: ") + error.what());
    }
}

// What killed pulls and loads left behind; failing to clean it up must not fail this load.
void remove_leftovers(Stores& stores) {
    try {
        stores.layers.remove_stale_temporaries();
        stores.blobs.remove_stale_temporaries();
    } catch (const Error& error) {
        log_warning(std::string("cleaning up after an interrupted pull or load: ") + error.what());
    }
}

}  // namespace

std::vector<std::string> load_images(const LoadRequest& request) {
    std::optional<ExtractedArchive> archive;
    if (request.directory.empty()) {
        archive.emplace(temporary_directory());
        extract(request, *archive);
    } else {
        archive.emplace(ExtractedArchive::ExistingDirectory{}, request.directory);
    }
    const ExtractedArchive& extracted = *archive;
    std::vector<PlannedImage> images;
    if (extracted.has("manifest.json") && extracted.has("version"))
        images = plan_dir(extracted);
    else if (extracted.has("manifest.json"))
        images = plan_docker_archive(extracted);
    else if (extracted.has("index.json") && extracted.has("oci-layout"))
        images = plan_oci_archive(extracted);
    else
        throw Error("payload does not match any of the supported image formats (docker-archive, oci-archive): " +
                    request.where + " has neither manifest.json nor oci-layout and index.json");

    Stores stores(request.graph_root);
    remove_leftovers(stores);
    std::vector<std::string> loaded;
    Added added;
    try {
        for (auto& image : images) {
            auto names = import_image(request, stores, added, image);
            if (names.empty()) names.push_back(image.config_digest);
            loaded.insert(loaded.end(), names.begin(), names.end());
        }
    } catch (...) {
        remove_unused(stores, added);
        throw;
    }
    return loaded;
}

}  // namespace berth::transport

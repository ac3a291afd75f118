#include "transport/archive_save.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "registry/media_types.hpp"
#include "storage/archive_library.hpp"
#include "storage/blob_store.hpp"
#include "transport/archive_manifest.hpp"
#include "transport/manifest_format.hpp"
#include "transport/tar_output.hpp"

namespace berth::transport {
namespace {

void report(const SaveRequest& request, const std::string& line) {
    if (request.report) request.report(line);
}

std::string hex_of(const std::string& digest) { return digest.substr(7); }

UniqueFd open_blob(const storage::BlobStore& blobs, const std::string& digest, const std::string& what,
                   uint64_t& size) {
    std::string path = blobs.path_of(digest);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) throw Error(what + " " + digest + " is not in the store");
        throw_last_errno("open " + path);
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) throw_last_errno("stat " + path);
    size = static_cast<uint64_t>(status.st_size);
    return fd;
}

bool is_compressed(int fd) {
    unsigned char magic[4] = {};
    ssize_t got = ::pread(fd, magic, sizeof magic, 0);
    if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return true;                                // gzip
    return got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;  // zstd
}

std::string temporary_directory() {
    const char* tmpdir = std::getenv("TMPDIR");
    return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/var/tmp";
}

// An unnamed file that goes away with its descriptor.
UniqueFd anonymous_file() {
    std::string directory = temporary_directory();
    UniqueFd fd(::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (fd) return fd;
    std::string name = directory + "/berth-save-XXXXXX";
    fd = UniqueFd(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd) throw_last_errno("creating a temporary file in " + directory);
    ::unlink(name.c_str());
    return fd;
}

void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw_last_errno("writing a temporary file");
        data += written;
        size -= static_cast<size_t>(written);
    }
}

// The layer's tar, decompressed into a temporary file whose digest must be its diff id; returns its size.
uint64_t decompress_layer(int blob_fd, int out_fd, const std::string& blob_digest, const std::string& diff_id) {
    const auto& lib = storage::libarchive();
    std::unique_ptr<archive, decltype(lib.archive_read_free)> reader(lib.archive_read_new(), lib.archive_read_free);
    lib.archive_read_support_filter_gzip(reader.get());
    lib.archive_read_support_filter_zstd(reader.get());
    lib.archive_read_support_format_raw(reader.get());
    auto why = [&] {
        const char* text = lib.archive_error_string(reader.get());
        return std::string(text != nullptr ? text : "unknown error");
    };
    archive_entry* entry = nullptr;
    if (lib.archive_read_open_fd(reader.get(), blob_fd, 1 << 16) != ARCHIVE_OK ||
        lib.archive_read_next_header(reader.get(), &entry) != ARCHIVE_OK)
        throw Error("decompressing layer " + blob_digest + ": " + why());
    Sha256 hash;
    uint64_t size = 0;
    char buffer[1 << 16];
    for (;;) {
        la_ssize_t got = lib.archive_read_data(reader.get(), buffer, sizeof buffer);
        if (got < 0) throw Error("decompressing layer " + blob_digest + ": " + why());
        if (got == 0) break;
        hash.update(buffer, static_cast<size_t>(got));
        write_all(out_fd, buffer, static_cast<size_t>(got));
        size += static_cast<uint64_t>(got);
    }
    std::string digest = hash.finish();
    if (digest != diff_id)
        throw Error("layer " + blob_digest + ": its content is " + digest + " but the config says " + diff_id);
    if (::lseek(out_fd, 0, SEEK_SET) != 0) throw_last_errno("rewinding a temporary file");
    return size;
}

void add_layer_tar(SaveOutput& output, const storage::BlobStore& blobs, const std::string& blob_digest,
                   const std::string& diff_id) {
    uint64_t size = 0;
    UniqueFd blob = open_blob(blobs, blob_digest, "layer", size);
    std::string member = hex_of(diff_id) + ".tar";
    if (!is_compressed(blob.get())) {
        output.add_file(member, blob.get(), size);
        return;
    }
    UniqueFd plain = anonymous_file();
    uint64_t plain_size = decompress_layer(blob.get(), plain.get(), blob_digest, diff_id);
    output.add_file(member, plain.get(), plain_size);
}

void check_layers(const storage::ImageRecord& image, const std::string& where) {
    if (image.layer_digests.size() != image.diff_ids.size())
        throw Error(where + ": the store has no blob of some of its layers (saving unpacked layers is not supported)");
}

void save_docker_archive(const SaveRequest& request, SaveOutput& output) {
    storage::BlobStore blobs(request.graph_root);
    std::vector<DockerArchiveEntry> entries;
    nlohmann::json repositories = nlohmann::json::object();
    std::set<std::string> written;
    for (const auto& saved : request.images) {
        const auto& image = saved.image;
        std::string where = "image " + hex_of(image.id).substr(0, 12);
        check_layers(image, where);
        DockerArchiveEntry entry;
        for (size_t i = 0; i < image.diff_ids.size(); ++i) {
            const std::string& diff_id = image.diff_ids[i];
            entry.layers.push_back(hex_of(diff_id) + ".tar");
            if (!written.insert(diff_id).second) continue;
            add_layer_tar(output, blobs, image.layer_digests[i], diff_id);
            report(request, "Copying blob " + image.layer_digests[i]);
        }
        entry.config = hex_of(image.id) + ".json";
        if (written.insert(image.id).second) output.add(entry.config, blobs.read(image.id));
        report(request, "Copying config " + image.id);
        entry.repo_tags = saved.names;
        for (const auto& name : saved.names) {
            size_t colon = name.rfind(':');
            if (colon == std::string::npos || name.find('/', colon) != std::string::npos) continue;
            if (!image.diff_ids.empty())
                repositories[name.substr(0, colon)][name.substr(colon + 1)] = hex_of(image.diff_ids.back());
        }
        entries.push_back(std::move(entry));
    }
    report(request, "Writing manifest to image destination");
    output.add("manifest.json", docker_archive_manifest(entries));
    output.add("repositories", repositories.dump());
}

void add_blob(SaveOutput& output, const storage::BlobStore& blobs, const std::string& digest, const std::string& what,
              std::set<std::string>& written) {
    if (!written.insert(digest).second) return;
    uint64_t size = 0;
    UniqueFd blob = open_blob(blobs, digest, what, size);
    output.add_file(oci_blob_member(digest), blob.get(), size);
}

void save_oci_archive(const SaveRequest& request, SaveOutput& output) {
    storage::BlobStore blobs(request.graph_root);
    std::vector<OciIndexEntry> index;
    std::set<std::string> written;
    output.add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    for (const auto& saved : request.images) {
        const auto& image = saved.image;
        std::string where = "image " + hex_of(image.id).substr(0, 12);
        check_layers(image, where);
        auto manifest =
            format_manifest(blobs.read(image.manifest_digest), image.manifest_media_type, ManifestFormat::oci);
        for (const auto& layer : image.layer_digests) {
            add_blob(output, blobs, layer, "layer", written);
            report(request, "Copying blob " + layer);
        }
        add_blob(output, blobs, image.id, "config", written);
        report(request, "Copying config " + image.id);
        std::string digest = sha256_digest(manifest.body);
        report(request, "Writing manifest to image destination");
        if (written.insert(digest).second) output.add(oci_blob_member(digest), manifest.body);
        index.push_back({manifest.media_type, digest, static_cast<long long>(manifest.body.size()),
                         saved.names.empty() ? std::string() : saved.names.front()});
    }
    output.add("index.json", oci_index(index));
}

// The dir: transport's layout, with a Docker schema 2 manifest.
void save_docker_dir(const SaveRequest& request, SaveOutput& output) {
    storage::BlobStore blobs(request.graph_root);
    const auto& image = request.images.front().image;
    check_layers(image, "image " + hex_of(image.id).substr(0, 12));
    auto manifest =
        format_manifest(blobs.read(image.manifest_digest), image.manifest_media_type, ManifestFormat::docker_v2s2);
    std::set<std::string> written;
    for (const auto& layer : image.layer_digests) {
        if (!written.insert(layer).second) continue;
        uint64_t size = 0;
        UniqueFd blob = open_blob(blobs, layer, "layer", size);
        output.add_file(hex_of(layer), blob.get(), size);
        report(request, "Copying blob " + layer);
    }
    output.add(hex_of(image.id), blobs.read(image.id));
    report(request, "Copying config " + image.id);
    report(request, "Writing manifest to image destination");
    output.add("manifest.json", manifest.body);
    output.add("version", "Directory Transport Version: 1.1\n");
}

std::string format_name(ArchiveFormat format) {
    switch (format) {
        case ArchiveFormat::docker_archive: return "docker-archive";
        case ArchiveFormat::oci_archive: return "oci-archive";
        case ArchiveFormat::oci_dir: return "oci-dir";
        case ArchiveFormat::docker_dir: return "docker-dir";
    }
    return "";
}

}  // namespace

ArchiveFormat parse_archive_format(std::string_view text) {
    if (text == "docker-archive") return ArchiveFormat::docker_archive;
    if (text == "oci-archive") return ArchiveFormat::oci_archive;
    if (text == "oci-dir") return ArchiveFormat::oci_dir;
    if (text == "docker-dir") return ArchiveFormat::docker_dir;
    throw Error("format value must be one of oci-dir oci-archive docker-dir docker-archive");
}

void save_images(const SaveRequest& request) {
    if (request.images.empty()) throw Error("no image to save");
    if (request.format != ArchiveFormat::docker_archive && request.images.size() > 1)
        throw Error("unsupported format \"" + format_name(request.format) +
                    "\" for saving multiple images (only docker-archive)");
    std::unique_ptr<SaveOutput> output;
    if (request.format == ArchiveFormat::oci_dir || request.format == ArchiveFormat::docker_dir)
        output = std::make_unique<DirectoryOutput>(request.where);
    else
        output = std::make_unique<TarOutput>(request.fd, request.where);
    if (request.format == ArchiveFormat::docker_archive)
        save_docker_archive(request, *output);
    else if (request.format == ArchiveFormat::docker_dir)
        save_docker_dir(request, *output);
    else
        save_oci_archive(request, *output);
    report(request, "Storing signatures");
    output->finish();
}

}  // namespace berth::transport

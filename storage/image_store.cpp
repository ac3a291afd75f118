#include "storage/image_store.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace berth::storage {
namespace {

constexpr std::string_view record_suffix = ".json";
constexpr size_t minimum_id_prefix = 3;

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "sha256:<hex>" for a full id given with or without "sha256:"; nothing for anything else.
std::optional<std::string> full_id(std::string_view text) {
    std::string candidate = text.starts_with("sha256:") ? std::string(text) : "sha256:" + std::string(text);
    if (is_sha256_digest(candidate)) return candidate;
    return std::nullopt;
}

// What is wrong with a record (empty when nothing is).
std::string record_problem(const ImageRecord& record) {
    if (!is_sha256_digest(record.id)) return "id \"" + record.id + "\" is not a sha256 digest";
    auto check = [](const std::string& field, const std::string& value) -> std::string {
        if (is_sha256_digest(value)) return {};
        return field + " \"" + value + "\" is not a sha256 digest";
    };
    for (const auto& name : record.names)
        if (name.empty()) return "an empty name";
    for (const auto& digest : record.digests)
        if (auto problem = check("digest", digest); !problem.empty()) return problem;
    if (!record.manifest_digest.empty())
        if (auto problem = check("manifest digest", record.manifest_digest); !problem.empty()) return problem;
    if (!record.index_digest.empty())
        if (auto problem = check("index digest", record.index_digest); !problem.empty()) return problem;
    for (const auto& layer : record.layers)
        if (auto problem = check("layer", layer); !problem.empty()) return problem;
    for (const auto& diff_id : record.diff_ids)
        if (auto problem = check("diff id", diff_id); !problem.empty()) return problem;
    for (const auto& digest : record.layer_digests)
        if (auto problem = check("layer digest", digest); !problem.empty()) return problem;
    return {};
}

nlohmann::json record_to_json(const ImageRecord& record) {
    return nlohmann::json{
        {"id", record.id},
        {"names", record.names},
        {"digests", record.digests},
        {"manifest_digest", record.manifest_digest},
        {"manifest_media_type", record.manifest_media_type},
        {"index_digest", record.index_digest},
        {"layers", record.layers},
        {"diff_ids", record.diff_ids},
        {"layer_digests", record.layer_digests},
        {"created", record.created},
        {"size", record.size},
        {"pulled_at", record.pulled_at},
    };
}

// Throws nlohmann::json::exception or Error when the JSON is not a valid record.
ImageRecord record_from_json(const nlohmann::json& json) {
    if (!json.is_object()) throw Error("not a JSON object");
    ImageRecord record;
    record.id = json.at("id").get<std::string>();
    record.names = json.value("names", std::vector<std::string>{});
    record.digests = json.value("digests", std::vector<std::string>{});
    record.manifest_digest = json.value("manifest_digest", std::string{});
    record.manifest_media_type = json.value("manifest_media_type", std::string{});
    record.index_digest = json.value("index_digest", std::string{});
    record.layers = json.value("layers", std::vector<std::string>{});
    record.diff_ids = json.value("diff_ids", std::vector<std::string>{});
    record.layer_digests = json.value("layer_digests", std::vector<std::string>{});
    record.created = json.value("created", std::string{});
    record.size = json.value("size", int64_t{0});
    record.pulled_at = json.value("pulled_at", int64_t{0});
    if (auto problem = record_problem(record); !problem.empty()) throw Error(problem);
    return record;
}

void append_missing(std::vector<std::string>& list, const std::vector<std::string>& more) {
    for (const auto& item : more)
        if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

ImageStore::ImageStore(std::string graph_root)
    : graph_root_(std::move(graph_root)),
      images_dir_(graph_root_ + "/images"),
      lock_path_(graph_root_ + "/storage.lock") {}

FileLock ImageStore::lock_exclusive() const {
    make_directories(graph_root_, 0700);
    return FileLock::exclusive(lock_path_);
}

FileLock ImageStore::lock_for_reading() const {
    if (FileLock::held_by_this_thread(lock_path_, false)) return {};
    make_directories(graph_root_, 0700);
    return FileLock::shared(lock_path_);
}

FileLock ImageStore::lock_for_change() const {
    if (FileLock::held_by_this_thread(lock_path_, true)) return {};
    return lock_exclusive();  // refused with an Error when this thread holds only the shared lock
}

std::vector<ImageRecord> ImageStore::load_records() const {
    std::vector<ImageRecord> records;
    for (const auto& name : list_directory(images_dir_)) {
        if (!name.ends_with(record_suffix)) continue;  // e.g. a temporary file of an interrupted write
        std::string path = images_dir_ + "/" + name;
        try {
            auto content = read_file_if_exists(path);
            if (!content) continue;  // removed meanwhile
            auto record = record_from_json(nlohmann::json::parse(*content));
            std::string expected_name = digest_hex(record.id) + std::string(record_suffix);
            if (name != expected_name) throw Error("it holds image " + record.id);
            records.push_back(std::move(record));
        } catch (const std::exception& error) {
            log_warning("skipping image record " + path + ": " + error.what());
        }
    }
    return records;
}

void ImageStore::write_record(const ImageRecord& record) const {
    make_directories(images_dir_, 0700);
    write_file_atomic(images_dir_ + "/" + digest_hex(record.id) + std::string(record_suffix),
                      record_to_json(record).dump(2) + "\n", 0600);
}

void ImageStore::release_names(std::vector<ImageRecord>& records, const std::string& keeper_id,
                               const std::vector<std::string>& names) const {
    for (auto& other : records) {
        if (other.id == keeper_id) continue;
        auto before = other.names.size();
        std::erase_if(other.names, [&](const std::string& name) {
            return std::find(names.begin(), names.end(), name) != names.end();
        });
        if (other.names.size() != before) write_record(other);
    }
}

void ImageStore::remove_leftover_temporaries() const {
    // Under the exclusive lock no record is being written, so a temporary file is a killed writer's.
    for (const auto& name : list_directory(images_dir_))
        if (name.find(".tmp-") != std::string::npos) ::unlink((images_dir_ + "/" + name).c_str());
}

void ImageStore::put(const ImageRecord& record) {
    if (auto problem = record_problem(record); !problem.empty()) throw Error("store image record: " + problem);
    auto lock = lock_for_change();
    remove_leftover_temporaries();
    auto records = load_records();
    ImageRecord merged = record;
    merged.names.clear();
    merged.digests.clear();
    auto existing = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.id == record.id; });
    if (existing != records.end()) {
        merged.names = existing->names;
        merged.digests = existing->digests;
    }
    append_missing(merged.names, record.names);
    append_missing(merged.digests, record.digests);
    // The new record first: a crash in between leaves a name on two images, which find() resolves to the
    // latest pulled one, rather than on none.
    write_record(merged);
    release_names(records, merged.id, merged.names);
}

std::vector<ImageRecord> ImageStore::list() const {
    auto lock = lock_for_reading();
    auto records = load_records();
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return records;
}

std::optional<ImageRecord> ImageStore::find(const std::string& name_or_id) const {
    if (name_or_id.empty()) return std::nullopt;
    auto records = list();

    const ImageRecord* named = nullptr;
    for (const auto& record : records) {
        if (std::find(record.names.begin(), record.names.end(), name_or_id) == record.names.end()) continue;
        if (named == nullptr || record.pulled_at > named->pulled_at) named = &record;
    }
    if (named != nullptr) return *named;

    if (auto id = full_id(name_or_id)) {
        for (const auto& record : records)
            if (record.id == *id) return record;
        return std::nullopt;
    }

    std::string_view prefix = name_or_id;
    if (prefix.starts_with("sha256:")) prefix.remove_prefix(std::string_view("sha256:").size());
    if (prefix.size() < minimum_id_prefix || !is_lower_hex(prefix)) return std::nullopt;
    std::vector<const ImageRecord*> matches;
    for (const auto& record : records)
        if (std::string_view(record.id).substr(std::string_view("sha256:").size()).starts_with(prefix))
            matches.push_back(&record);
    if (matches.empty()) return std::nullopt;
    if (matches.size() > 1) {
        std::string ids;
        for (const auto* match : matches) ids += (ids.empty() ? "" : ", ") + match->id;
        throw Error("ambiguous image id prefix \"" + name_or_id + "\": " + std::to_string(matches.size()) +
                    " images match (" + ids + ")");
    }
    return *matches.front();
}

void ImageStore::add_name(const std::string& id, const std::string& name) {
    auto wanted = full_id(id);
    if (!wanted) throw Error("add name " + name + " to image " + id + ": not a full image id");
    if (name.empty()) throw Error("add name to image " + id + ": the name is empty");
    auto lock = lock_for_change();
    remove_leftover_temporaries();
    auto records = load_records();
    auto image = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.id == *wanted; });
    if (image == records.end()) throw Error("add name " + name + " to image " + id + ": no such image");
    if (std::find(image->names.begin(), image->names.end(), name) == image->names.end()) {
        image->names.push_back(name);
        write_record(*image);
    }
    release_names(records, image->id, {name});
}

void ImageStore::remove_name(const std::string& name) {
    auto lock = lock_for_change();
    remove_leftover_temporaries();
    auto records = load_records();
    bool found = false;
    for (auto& record : records) {
        if (std::erase(record.names, name) == 0) continue;
        found = true;
        write_record(record);
    }
    if (!found) throw Error("remove name " + name + ": no image has this name");
}

void ImageStore::remove(const std::string& id) {
    auto wanted = full_id(id);
    if (!wanted) throw Error("remove image " + id + ": not a full image id");
    auto lock = lock_for_change();
    remove_leftover_temporaries();
    std::string path = images_dir_ + "/" + digest_hex(*wanted) + std::string(record_suffix);
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) throw Error("remove image " + id + ": no such image");
        throw_last_errno("remove image record " + path);
    }
}

std::set<std::string> ImageStore::referenced_layers() const {
    std::set<std::string> layers;
    for (const auto& record : list()) layers.insert(record.layers.begin(), record.layers.end());
    return layers;
}

std::set<std::string> ImageStore::referenced_blobs() const {
    std::set<std::string> blobs;
    for (const auto& record : list()) {
        blobs.insert(record.id);
        if (!record.manifest_digest.empty()) blobs.insert(record.manifest_digest);
        if (!record.index_digest.empty()) blobs.insert(record.index_digest);
        blobs.insert(record.digests.begin(), record.digests.end());
        blobs.insert(record.layer_digests.begin(), record.layer_digests.end());
    }
    return blobs;
}

}  // namespace berth::storage

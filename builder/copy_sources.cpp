#include "builder/copy_sources.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/lexical_path.hpp"
#include "common/unique_fd.hpp"
#include "storage/layer_unpack.hpp"

namespace berth::builder {
namespace {

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
    return out;
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void walk(const std::string& root, const std::string& relative, const IgnoreRules& rules, storage::TreeView& out) {
    std::string directory = relative.empty() ? root : root + "/" + relative;
    std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(directory.c_str()), ::closedir);
    if (!handle) throw_last_errno("read the build context directory " + directory);
    while (dirent* item = ::readdir(handle.get())) {
        std::string name = item->d_name;
        if (name == "." || name == "..") continue;
        std::string path = relative.empty() ? name : relative + "/" + name;
        if (rules.excluded(path)) {
            // an exception below an excluded directory still counts: look inside it
            struct stat status {};
            if (::lstat((root + "/" + path).c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
                storage::TreeView inner;
                walk(root, path, rules, inner);
                if (!inner.empty()) {
                    out[path] = {root + "/" + path, status};
                    out.merge(inner);
                }
            }
            continue;
        }
        storage::TreeEntry entry{root + "/" + path, {}};
        if (::lstat(entry.source.c_str(), &entry.status) != 0) throw_last_errno("stat " + entry.source);
        bool directory_entry = S_ISDIR(entry.status.st_mode);
        out[path] = entry;
        if (directory_entry) walk(root, path, rules, out);
    }
}

bool has_glob(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

// The path of a source in the tree, its symlinks followed inside the tree (an absolute target from the tree's
// root); Error when it climbs out.
std::string resolve_in_tree(const std::string& written, const SourceTree& tree) {
    auto parts = lexical_components(written);
    if (!parts) throw Error("forbidden path outside " + tree.description + ": " + written);
    std::vector<std::string> done;
    std::vector<std::string> todo(parts->rbegin(), parts->rend());
    int links = 0;
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        done.push_back(part);
        auto found = tree.files.find(join(done));
        if (found == tree.files.end() || !S_ISLNK(found->second.status.st_mode)) continue;
        if (++links > 40) throw Error("too many levels of symbolic links: " + written);
        std::string target(static_cast<size_t>(found->second.status.st_size) + 1, '\0');
        ssize_t length = ::readlink(found->second.source.c_str(), target.data(), target.size());
        if (length < 0) throw_last_errno("read link " + found->second.source);
        target.resize(static_cast<size_t>(length));
        done.pop_back();
        auto relative = lexical_components(join(done) + "/" + target);
        if (!relative || target.starts_with("/"))
            throw Error("forbidden path outside " + tree.description + ": " + written + " (a symbolic link to " +
                        target + ")");
        done.clear();
        for (auto it = relative->rbegin(); it != relative->rend(); ++it) todo.push_back(*it);
    }
    return join(done);
}

// A destination in the image with the image's symlinks followed as the container would see them: absolute targets
// from the image's root, ".." stopping there ("/bin/x" in an image whose /bin links to usr/bin is "usr/bin/x").
std::string resolve_in_image(const std::string& written, const storage::TreeView& image) {
    auto parts = lexical_components(written).value_or(std::vector<std::string>{});
    std::vector<std::string> done;
    std::vector<std::string> todo(parts.rbegin(), parts.rend());
    int links = 0;
    while (!todo.empty()) {
        std::string part = todo.back();
        todo.pop_back();
        if (part == "..") {
            if (!done.empty()) done.pop_back();
            continue;
        }
        if (part == "." || part.empty()) continue;
        done.push_back(part);
        auto found = image.find(join(done));
        if (found == image.end() || !S_ISLNK(found->second.status.st_mode)) continue;
        if (++links > 40) throw Error("too many levels of symbolic links: " + written);
        std::string target(static_cast<size_t>(found->second.status.st_size) + 1, '\0');
        ssize_t length = ::readlink(found->second.source.c_str(), target.data(), target.size());
        if (length < 0) throw_last_errno("read link " + found->second.source);
        target.resize(static_cast<size_t>(length));
        done.pop_back();
        if (target.starts_with("/")) done.clear();
        std::vector<std::string> pieces;
        for (size_t start = 0; start <= target.size();) {
            size_t end = target.find('/', start);
            if (end == std::string::npos) end = target.size();
            pieces.push_back(target.substr(start, end - start));
            start = end + 1;
        }
        for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) todo.push_back(*it);
    }
    return join(done);
}

std::vector<std::string> matching(const std::string& pattern, const SourceTree& tree) {
    auto parts = lexical_components(pattern);
    if (!parts) throw Error("forbidden path outside " + tree.description + ": " + pattern);
    std::string cleaned = join(*parts);
    std::vector<std::string> out;
    for (const auto& [path, entry] : tree.files)
        if (::fnmatch(cleaned.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
    return out;
}

storage::TreeEntry with_owner(storage::TreeEntry entry, const CopyRequest& request) {
    entry.status.st_uid = request.uid.value_or(0);
    entry.status.st_gid = request.gid.value_or(request.uid.value_or(0));
    if (request.mode && !S_ISLNK(entry.status.st_mode))
        entry.status.st_mode = (entry.status.st_mode & S_IFMT) | *request.mode;
    return entry;
}

void add_parents(CopyPlan& plan, const std::string& path, const storage::TreeView& image,
                 const storage::TreeEntry& model) {
    for (std::string parent = parent_of(path); !parent.empty(); parent = parent_of(parent)) {
        if (plan.entries.count(parent)) continue;
        auto found = image.find(parent);
        if (found != image.end() && S_ISDIR(found->second.status.st_mode)) {
            plan.entries[parent] = found->second;
            continue;
        }
        storage::TreeEntry entry = model;
        entry.status.st_mode = S_IFDIR | 0755;
        entry.status.st_uid = 0;
        entry.status.st_gid = 0;
        entry.status.st_size = 0;
        entry.status.st_nlink = 1;
        plan.entries[parent] = entry;
    }
}

std::string file_digest(const std::string& path) {
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) throw_last_errno("open " + path);
    Sha256 hash;
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(file.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_last_errno("read " + path);
        if (got == 0) break;
        hash.update(buffer, static_cast<size_t>(got));
    }
    return hash.finish();
}

std::string plan_digest(const CopyPlan& plan) {
    Sha256 hash;
    for (const auto& [path, entry] : plan.entries) {
        const auto& status = entry.status;
        std::string line = path + "\t" + std::to_string(status.st_mode) + "\t" + std::to_string(status.st_uid) + ":" +
                           std::to_string(status.st_gid) + "\t";
        if (S_ISREG(status.st_mode)) line += file_digest(entry.source);
        if (S_ISLNK(status.st_mode)) {
            std::string target(static_cast<size_t>(status.st_size) + 1, '\0');
            ssize_t length = ::readlink(entry.source.c_str(), target.data(), target.size());
            if (length > 0) line += target.substr(0, static_cast<size_t>(length));
        }
        line += "\n";
        hash.update(line.data(), line.size());
    }
    return hash.finish();
}

// Whether the file starts as a tar, gzip or zstd stream does.
bool looks_like_archive(const std::string& path) {
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) return false;
    unsigned char head[512] = {};
    ssize_t got = ::pread(file.get(), head, sizeof head, 0);
    if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) return true;
    if (got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) return true;
    return got >= 262 && std::string_view(reinterpret_cast<const char*>(head) + 257, 5) == "ustar";
}

// The archive unpacked into a fresh directory below `scratch`; its files, or nothing when it is no tar after all.
std::optional<storage::TreeView> extracted(const std::string& archive, const std::string& scratch, int number,
                                           bool rootless) {
    std::string target = scratch + "/archive-" + std::to_string(number);
    make_directories(target, 0755);
    storage::UnpackOptions options;
    options.rootless = rootless;
    options.overlay_whiteouts = false;
    try {
        storage::unpack_layer_file(archive, target, options);
    } catch (const Error& error) {
        std::string why = error.what();
        if (why.find("hostile") != std::string::npos) throw;
        return std::nullopt;
    }
    SourceTree tree = context_tree(target, IgnoreRules());
    return tree.files;
}

}  // namespace

CopyPlan merged_plans(const CopyPlan& first, const CopyPlan& second) {
    CopyPlan out = first;
    for (const auto& [path, entry] : second.entries) out.entries[path] = entry;
    out.digest = sha256_digest(first.digest + second.digest);
    return out;
}

SourceTree context_tree(const std::string& context_dir, const IgnoreRules& rules) {
    SourceTree tree;
    tree.description = "the build context";
    walk(context_dir, "", rules, tree.files);
    return tree;
}

CopyPlan plan_copy(const CopyRequest& request, const SourceTree& tree, const storage::TreeView& image) {
    std::string destination = resolve_in_image(request.destination, image);
    auto existing = image.find(destination);
    bool into_directory = request.destination.ends_with("/") || request.sources.size() > 1 || destination.empty() ||
                          (existing != image.end() && S_ISDIR(existing->second.status.st_mode));
    CopyPlan plan;
    int archives = 0;
    auto add = [&](const std::string& layer_path, const storage::TreeEntry& entry) {
        plan.entries[layer_path] = with_owner(entry, request);
        add_parents(plan, layer_path, image, entry);
    };
    for (const auto& source : request.sources) {
        std::vector<std::string> paths;
        if (has_glob(source)) {
            paths = matching(source, tree);
            if (paths.empty())
                throw Error("no source files were specified: no files in " + tree.description + " match \"" + source +
                            "\"");
            if (paths.size() > 1) into_directory = true;
        } else {
            paths = {resolve_in_tree(source, tree)};
        }
        for (const auto& path : paths) {
            if (path.empty()) {  // the tree's root: its contents
                for (const auto& [inner, entry] : tree.files)
                    add(destination.empty() ? inner : destination + "/" + inner, entry);
                continue;
            }
            auto found = tree.files.find(path);
            if (found == tree.files.end())
                throw Error("checking on sources under " + tree.description + ": \"" + source +
                            "\": no such file or directory");
            if (S_ISDIR(found->second.status.st_mode)) {
                if (!destination.empty()) add(destination, found->second);
                std::string prefix = path + "/";
                for (auto it = tree.files.upper_bound(path); it != tree.files.end() && it->first.starts_with(prefix);
                     ++it) {
                    std::string inner = it->first.substr(prefix.size());
                    add(destination.empty() ? inner : destination + "/" + inner, it->second);
                }
                continue;
            }
            if (!request.extract_into.empty() && S_ISREG(found->second.status.st_mode) &&
                looks_like_archive(found->second.source)) {
                if (auto files = extracted(found->second.source, request.extract_into, ++archives, request.rootless)) {
                    for (const auto& [inner, entry] : *files) {
                        std::string layer_path = destination.empty() ? inner : destination + "/" + inner;
                        plan.entries[layer_path] = request.uid ? with_owner(entry, request) : entry;
                        add_parents(plan, layer_path, image, entry);
                    }
                    continue;
                }
            }
            std::string target =
                into_directory ? (destination.empty() ? "" : destination + "/") + base_of(path) : destination;
            add(target, found->second);
        }
    }
    plan.digest = plan_digest(plan);
    return plan;
}

void write_copy_layer(const CopyPlan& plan, const storage::ByteSink& sink) {
    storage::TarWriter writer(sink);
    for (const auto& [path, entry] : plan.entries) {
        storage::TreeEntry copy = entry;
        copy.status.st_nlink = 1;  // hard links between copied files are not kept, as in Docker's COPY
        writer.add(path, copy);
    }
    writer.finish();
}

namespace {

// The id of `name` in an /etc/passwd or /etc/group text (field 2 is the id), or nothing.
std::optional<unsigned> id_in(const std::string& table, const std::string& name, int field) {
    size_t start = 0;
    while (start < table.size()) {
        size_t end = table.find('\n', start);
        if (end == std::string::npos) end = table.size();
        std::string line = table.substr(start, end - start);
        start = end + 1;
        std::vector<std::string> fields;
        size_t from = 0;
        for (size_t colon; (colon = line.find(':', from)) != std::string::npos; from = colon + 1)
            fields.push_back(line.substr(from, colon - from));
        fields.push_back(line.substr(from));
        if (fields.size() > static_cast<size_t>(field) && fields[0] == name)
            return static_cast<unsigned>(std::stoul(fields[static_cast<size_t>(field)]));
    }
    return std::nullopt;
}

bool numeric(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::pair<uid_t, gid_t> parse_chown(const std::string& text, const std::string& passwd, const std::string& group) {
    size_t colon = text.find(':');
    std::string user = text.substr(0, colon);
    std::string group_name = colon == std::string::npos ? "" : text.substr(colon + 1);
    uid_t uid = 0;
    gid_t gid = 0;
    if (numeric(user)) {
        uid = static_cast<uid_t>(std::stoul(user));
        gid = static_cast<gid_t>(uid);
    } else {
        auto found = id_in(passwd, user, 2);
        if (!found) throw Error("--chown=" + text + ": no user " + user + " in the image's /etc/passwd");
        uid = *found;
        gid = id_in(passwd, user, 3).value_or(uid);
    }
    if (!group_name.empty()) {
        if (numeric(group_name)) {
            gid = static_cast<gid_t>(std::stoul(group_name));
        } else {
            auto found = id_in(group, group_name, 2);
            if (!found) throw Error("--chown=" + text + ": no group " + group_name + " in the image's /etc/group");
            gid = *found;
        }
    }
    return {uid, gid};
}

mode_t parse_chmod(const std::string& text) {
    if (text.empty() || text.size() > 4 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; }))
        throw Error("--chmod=" + text + ": not an octal mode");
    return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

}  // namespace berth::builder

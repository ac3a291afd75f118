#include "storage/layer_unpack.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/lexical_path.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "storage/archive_library.hpp"

namespace berth::storage {
namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view whiteout_meta_prefix = ".wh..wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";
constexpr size_t read_buffer_size = 128 * 1024;

using Parts = std::vector<std::string>;
using Times = std::array<timespec, 2>;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

[[noreturn]] void fail(std::string_view what, std::string_view name, int err) {
    throw Error("unpack layer: " + std::string(what) + " " + quoted(name) + ": " + errno_text(err));
}

[[noreturn]] void hostile(std::string_view name) {
    throw Error("hostile layer: entry " + quoted(name) + " escapes the layer root");
}

// A member name cleaned lexically, as Docker and containers-storage do; nothing when a ".." climbs above the root.
std::optional<Parts> clean_path(std::string_view name) { return lexical_components(name); }

std::string join(const Parts& parts, size_t count) {
    std::string path;
    for (size_t i = 0; i < count && i < parts.size(); ++i) {
        if (i > 0) path += '/';
        path += parts[i];
    }
    return path;
}

std::string join(const Parts& parts) { return join(parts, parts.size()); }

// openat2(2) below the root: symlinks and ".." are resolved as if the root were "/", so nothing outside is reached.
int open_in_root(int root_fd, const std::string& path, uint64_t flags) {
    open_how how{};
    how.flags = flags | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* name = path.empty() ? "." : path.c_str();
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, root_fd, name, &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        // EAGAIN: a rename raced with a ".." lookup; the kernel asks to try again.
        if ((errno == EAGAIN || errno == EINTR) && attempt < 32) continue;
        if (errno == ENOSYS) throw Error("unpack layer: openat2 is not available (Linux 5.6 or later is needed)");
        return -1;
    }
}

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Whether `id` is inside one of the ranges of a /proc/self/{uid,gid}_map.
bool id_is_mapped(const char* map_path, uint64_t id) {
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(map_path, "re"), &std::fclose);
    if (!file) return true;
    unsigned long long inside = 0, outside = 0, count = 0;
    while (std::fscanf(file.get(), "%llu %llu %llu", &inside, &outside, &count) == 3)
        if (id >= inside && id - inside < count) return true;
    return false;
}

const char* entry_text(const char* native, const char* utf8) { return native ? native : utf8; }

Times entry_times(archive_entry* entry) {
    timespec mtime{libarchive().archive_entry_mtime(entry), libarchive().archive_entry_mtime_nsec(entry)};
    if (!libarchive().archive_entry_mtime_is_set(entry)) mtime = {0, UTIME_OMIT};
    timespec atime = mtime;
    if (libarchive().archive_entry_atime_is_set(entry))
        atime = {libarchive().archive_entry_atime(entry), libarchive().archive_entry_atime_nsec(entry)};
    return {atime, mtime};
}

// Everything libarchive's read callback needs: the caller's reader, a buffer, and the reader's exception.
struct Source {
    const std::function<size_t(char*, size_t)>* read_chunk = nullptr;
    std::vector<char> buffer;
    std::exception_ptr error;
    bool ended = false;  // the reader returned 0
};

la_ssize_t read_callback(archive* reader, void* data, const void** block) {
    auto* source = static_cast<Source*>(data);
    if (source->ended) return 0;
    try {
        size_t got = (*source->read_chunk)(source->buffer.data(), source->buffer.size());
        if (got > source->buffer.size()) throw Error("unpack layer: the layer reader returned more than it was asked");
        *block = source->buffer.data();
        if (got == 0) source->ended = true;
        return static_cast<la_ssize_t>(got);
    } catch (...) {
        if (!source->error) source->error = std::current_exception();
        libarchive().archive_set_error(reader, EIO, "reading the layer failed");
        return ARCHIVE_FATAL;
    }
}

// The decompressed layer: the bytes of a first reader (gzip, zstd or no filter, raw format) handed to the tar reader
// block by block, each hashed on its way, so that the digest covers the whole uncompressed stream (the diff_id).
struct Decompressed {
    archive* outer = nullptr;
    Source* source = nullptr;
    Sha256 hash;
    bool ended = false;  // the decompressed stream ended (or was empty)
};

la_ssize_t decompressed_callback(archive* reader, void* data, const void** block) {
    auto* stream = static_cast<Decompressed*>(data);
    if (stream->ended) return 0;
    for (;;) {
        size_t size = 0;
        la_int64_t offset = 0;
        int status = libarchive().archive_read_data_block(stream->outer, block, &size, &offset);
        if (status == ARCHIVE_EOF) {
            stream->ended = true;
            return 0;
        }
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            const char* text = libarchive().archive_error_string(stream->outer);
            int err = libarchive().archive_errno(stream->outer);
            libarchive().archive_set_error(reader, err != 0 ? err : EIO, "%s",
                                           text ? text : "decompressing the layer failed");
            return ARCHIVE_FATAL;
        }
        if (size == 0) continue;
        try {
            stream->hash.update(*block, size);
        } catch (...) {
            if (!stream->source->error) stream->source->error = std::current_exception();
            libarchive().archive_set_error(reader, EIO, "hashing the layer failed");
            return ARCHIVE_FATAL;
        }
        return static_cast<la_ssize_t>(size);
    }
}

struct DirClose {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

struct ArchiveFree {
    void operator()(archive* reader) const { libarchive().archive_read_free(reader); }
};

// A directory whose mode and times are set at the end, after everything inside it was written.
struct DeferredDir {
    Parts parts;
    std::string name;
    mode_t mode = 0;
    Times times{};
};

class Unpacker {
public:
    Unpacker(archive* reader, Source& source, Decompressed& decompressed, int root_fd, const UnpackOptions& options)
        : reader_(reader), source_(source), decompressed_(decompressed), root_fd_(root_fd), options_(options) {}

    void run();
    UnpackResult result;

private:
    void unpack_entry(archive_entry* entry);
    void root_entry(archive_entry* entry, const std::string& name);
    void directory(archive_entry* entry, const std::string& name, const Parts& parts, int parent);
    void regular(archive_entry* entry, const std::string& name, int parent, const std::string& leaf);
    void symlink(archive_entry* entry, const std::string& name, int parent, const std::string& leaf);
    bool special(archive_entry* entry, const std::string& name, int parent, const std::string& leaf);
    void hard_link(const std::string& name, const Parts& parts, const char* target_name);
    void whiteout(const std::string& name, const Parts& parts);
    void opaque(const std::string& name, const Parts& dir_parts);
    void set_opaque(int dir_fd, const std::string& name);
    void replace_whiteout_with_directory(int parent, const std::string& leaf, const std::string& path,
                                         const std::string& name);
    bool is_directory(const Parts& parts, const std::string& name);
    void finish_directories();

    UniqueFd open_dir(const Parts& parts, size_t count, const std::string& name, bool create);
    bool clear_leaf(int parent, const std::string& leaf, const std::string& path, bool keep_directory);
    void remove_at(int dir_fd, const std::string& leaf, const std::string& path);
    void empty_directory(int dir_fd, const std::string& path, bool keep_written);
    void set_owner(archive_entry* entry, const std::string& name, int dir_fd, const char* leaf, int flags);
    void set_xattrs(archive_entry* entry, const std::string& name, int fd, bool through_proc);
    void set_times(const std::string& name, int dir_fd, const char* leaf, const Times& times, int flags);
    void written(const std::string& path);
    void warn(std::string message);
    [[noreturn]] void read_failure(const std::string& what);

    archive* reader_;
    Source& source_;
    Decompressed& decompressed_;
    int root_fd_;
    const UnpackOptions& options_;
    std::string previous_name_;
    // Paths this layer wrote and their parents: whiteouts and opaque markers hide only what lower layers put there.
    std::unordered_set<std::string> written_;
    std::unordered_set<std::string> whiteouts_;  // overlay form: paths this layer wrote a whiteout device for
    std::vector<DeferredDir> deferred_;
};

void Unpacker::warn(std::string message) {
    log_warning(message);
    result.warnings.push_back(std::move(message));
}

// Records that this layer put something at `path`, and so below each of its parents.
void Unpacker::written(const std::string& path) {
    if (!written_.insert(path).second) return;
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1))
        if (!written_.insert(path.substr(0, slash)).second) return;
}

void Unpacker::read_failure(const std::string& what) {
    if (source_.error) std::rethrow_exception(source_.error);
    const char* text = libarchive().archive_error_string(reader_);
    throw Error("unpack layer: " + what + ": " + (text ? text : "unknown error"));
}

void Unpacker::run() {
    for (;;) {
        archive_entry* entry = nullptr;
        int status = libarchive().archive_read_next_header(reader_, &entry);
        if (status == ARCHIVE_EOF) break;
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            std::string what = "read entry " + std::to_string(result.entries + 1);
            if (!previous_name_.empty()) what += " (after " + quoted(previous_name_) + ")";
            read_failure(what);
        }
        ++result.entries;
        if (status == ARCHIVE_WARN) {
            const char* text = libarchive().archive_error_string(reader_);
            warn("unpack layer: entry " + std::to_string(result.entries) + ": " + (text ? text : "warning"));
        }
        unpack_entry(entry);
    }
    finish_directories();
    // Hash what follows the tar's end marker too: the diff_id covers the whole decompressed stream.
    while (!decompressed_.ended) {
        const void* block = nullptr;
        if (decompressed_callback(reader_, &decompressed_, &block) < 0) read_failure("read the end of the layer");
    }
    // Read the stream to its end, so that a reader that checks a digest as it goes sees every byte.
    while (!source_.ended) {
        const void* block = nullptr;
        la_ssize_t got = read_callback(decompressed_.outer, &source_, &block);
        if (got < 0) read_failure("read the end of the layer");
    }
    result.diff_id = decompressed_.hash.finish();
}

void Unpacker::unpack_entry(archive_entry* entry) {
    const char* raw_name =
        entry_text(libarchive().archive_entry_pathname(entry), libarchive().archive_entry_pathname_utf8(entry));
    if (!raw_name) throw Error("unpack layer: entry " + std::to_string(result.entries) + " has no name");
    std::string name = raw_name;
    previous_name_ = name;
    auto cleaned = clean_path(name);
    if (!cleaned) hostile(name);
    const Parts& parts = *cleaned;

    if (!parts.empty() && parts.back().starts_with(whiteout_prefix)) return whiteout(name, parts);
    if (const char* target =
            entry_text(libarchive().archive_entry_hardlink(entry), libarchive().archive_entry_hardlink_utf8(entry)))
        return hard_link(name, parts, target);
    if (parts.empty()) return root_entry(entry, name);

    UniqueFd parent = open_dir(parts, parts.size() - 1, name, true);
    const std::string& leaf = parts.back();
    std::string path = join(parts);
    switch (libarchive().archive_entry_filetype(entry)) {
        case AE_IFDIR: directory(entry, name, parts, parent.get()); break;
        case AE_IFREG: regular(entry, name, parent.get(), leaf); break;
        case AE_IFLNK: symlink(entry, name, parent.get(), leaf); break;
        case AE_IFIFO:
        case AE_IFCHR:
        case AE_IFBLK:
            if (!special(entry, name, parent.get(), leaf)) return;
            break;
        case AE_IFSOCK: warn("unpack layer: skip " + quoted(name) + ": a socket cannot be stored in a layer"); return;
        default: warn("unpack layer: skip " + quoted(name) + ": unknown entry type"); return;
    }
    written(path);
}

// Opens (O_PATH) the directory made of the first `count` parts, resolved inside the root. With `create`, missing
// directories are made (mode 0755) one by one, each again resolved inside the root. Without it, a missing
// directory gives an invalid descriptor.
UniqueFd Unpacker::open_dir(const Parts& parts, size_t count, const std::string& name, bool create) {
    const uint64_t flags = O_PATH | O_DIRECTORY;
    std::string path = join(parts, count);
    UniqueFd dir(open_in_root(root_fd_, path, flags));
    if (dir) return dir;
    int err = errno;
    if (err != ENOENT && err != ENOTDIR) fail("open directory " + quoted(path) + " for", name, err);
    if (!create) return dir;

    UniqueFd current(open_in_root(root_fd_, "", flags));
    if (!current) fail("open the layer root for", name, errno);
    for (size_t i = 0; i < count; ++i) {
        std::string prefix = join(parts, i + 1);
        UniqueFd next(open_in_root(root_fd_, prefix, flags));
        if (!next && errno == ENOENT) {
            if (::mkdirat(current.get(), parts[i].c_str(), 0755) != 0 && (err = errno) != EEXIST)
                fail("create directory " + quoted(prefix) + " for", name, err);
            written(prefix);
            next.reset(open_in_root(root_fd_, prefix, flags));
        } else if (!next && errno == ENOTDIR && whiteouts_.contains(prefix)) {
            replace_whiteout_with_directory(current.get(), parts[i], prefix, name);
            next.reset(open_in_root(root_fd_, prefix, flags));
        }
        if (!next) {
            err = errno;
            fail("open directory " + quoted(prefix) + " for", name, err);
        }
        current = std::move(next);
    }
    return current;
}

// Makes room for a new entry: whatever is at `leaf` goes, except a directory that a directory entry merges into.
// Returns whether an existing directory was kept.
bool Unpacker::clear_leaf(int parent, const std::string& leaf, const std::string& path, bool keep_directory) {
    struct stat st {};
    if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return false;
        fail("inspect", path, errno);
    }
    if (keep_directory && S_ISDIR(st.st_mode)) return true;
    remove_at(parent, leaf, path);
    return false;
}

// Removes `leaf` of `dir_fd` and, for a directory, everything below it, never following a symlink.
void Unpacker::remove_at(int dir_fd, const std::string& leaf, const std::string& path) {
    struct stat st {};
    if (::fstatat(dir_fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        fail("inspect", path, errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dir_fd, leaf.c_str(), 0) != 0 && errno != ENOENT) fail("remove", path, errno);
        return;
    }
    const int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd dir(::openat(dir_fd, leaf.c_str(), dir_flags));
    if (!dir && errno == EACCES && ::fchmodat(dir_fd, leaf.c_str(), 0700, 0) == 0)
        dir.reset(::openat(dir_fd, leaf.c_str(), dir_flags));
    if (!dir) fail("open", path, errno);
    empty_directory(dir.get(), path, false);
    if (::unlinkat(dir_fd, leaf.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) fail("remove", path, errno);
}

// Removes what is inside a directory (an O_RDONLY descriptor); with `keep_written`, what this layer wrote stays.
void Unpacker::empty_directory(int dir_fd, const std::string& path, bool keep_written) {
    std::vector<std::string> children;
    {
        int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) fail("read directory", path, errno);
        std::unique_ptr<DIR, DirClose> dir(::fdopendir(copy));
        if (!dir) {
            int err = errno;
            ::close(copy);
            fail("read directory", path, err);
        }
        ::rewinddir(dir.get());
        errno = 0;
        while (const dirent* child = ::readdir(dir.get())) {
            std::string_view child_name = child->d_name;
            if (child_name != "." && child_name != "..") children.emplace_back(child_name);
            errno = 0;
        }
        if (errno != 0) fail("read directory", path, errno);
    }
    for (const auto& child : children) {
        std::string child_path = path.empty() ? child : path + "/" + child;
        if (!keep_written || !written_.contains(child_path)) {
            remove_at(dir_fd, child, child_path);
            continue;
        }
        struct stat st {};
        if (::fstatat(dir_fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
        UniqueFd sub(::openat(dir_fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) fail("open", child_path, errno);
        empty_directory(sub.get(), child_path, true);
    }
}

void Unpacker::set_owner(archive_entry* entry, const std::string& name, int dir_fd, const char* leaf, int flags) {
    la_int64_t uid = libarchive().archive_entry_uid(entry);
    la_int64_t gid = libarchive().archive_entry_gid(entry);
    std::string ids = std::to_string(uid) + ":" + std::to_string(gid);
    // -1 would mean "leave unchanged" to chown(2), so the largest id is refused too.
    if (uid < 0 || gid < 0 || uid >= UINT32_MAX || gid >= UINT32_MAX)
        throw Error("unpack layer: chown " + quoted(name) + " to " + ids + ": the id is out of range");
    if (::fchownat(dir_fd, leaf, static_cast<uid_t>(uid), static_cast<gid_t>(gid), flags | AT_SYMLINK_NOFOLLOW) == 0)
        return;
    int err = errno;
    std::string message = "unpack layer: chown " + quoted(name) + " to " + ids + ": " + errno_text(err);
    if (options_.rootless && (err == EINVAL || err == EPERM)) {
        bool uid_mapped = id_is_mapped("/proc/self/uid_map", static_cast<uint64_t>(uid));
        bool gid_mapped = id_is_mapped("/proc/self/gid_map", static_cast<uint64_t>(gid));
        std::string which = !uid_mapped   ? "uid " + std::to_string(uid)
                            : !gid_mapped ? "gid " + std::to_string(gid)
                                          : "uid " + std::to_string(uid) + " or gid " + std::to_string(gid);
        message += " (" + which +
                   " is outside this user namespace's id map; give the user enough subordinate ids in /etc/subuid "
                   "and /etc/subgid)";
    }
    throw Error(message);
}

void Unpacker::set_xattrs(archive_entry* entry, const std::string& name, int fd, bool through_proc) {
    if (libarchive().archive_entry_xattr_reset(entry) == 0) return;
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    std::string proc_path = through_proc ? proc_fd_path(fd) : std::string();
    std::unordered_set<std::string_view> seen;  // pax headers may carry an xattr twice (SCHILY. and LIBARCHIVE.)
    while (libarchive().archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
        std::string_view key_view = key;
        if (!seen.insert(key_view).second) continue;
        // Overlayfs' own metadata (whiteouts, opaque dirs, redirects) is berth's to write, never a layer's.
        if (key_view.starts_with("trusted.overlay.") || key_view.starts_with("user.overlay.")) {
            warn("unpack layer: skip xattr " + std::string(key_view) + " of " + quoted(name) +
                 ": it is overlayfs metadata");
            continue;
        }
        int status =
            through_proc ? ::setxattr(proc_path.c_str(), key, value, size, 0) : ::fsetxattr(fd, key, value, size, 0);
        if (status == 0) continue;
        int err = errno;
        if (err == ENOTSUP || (options_.rootless && (err == EPERM || err == EACCES))) {
            warn("unpack layer: skip xattr " + std::string(key_view) + " of " + quoted(name) + ": " + errno_text(err));
            continue;
        }
        fail("set xattr " + std::string(key_view) + " of", name, err);
    }
}

void Unpacker::set_times(const std::string& name, int dir_fd, const char* leaf, const Times& times, int flags) {
    if (::utimensat(dir_fd, leaf, times.data(), flags) != 0) fail("set times of", name, errno);
}

void Unpacker::root_entry(archive_entry* entry, const std::string& name) {
    if (libarchive().archive_entry_filetype(entry) != AE_IFDIR) {
        warn("unpack layer: skip " + quoted(name) + ": it names the layer root but is not a directory");
        return;
    }
    UniqueFd root(::openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) fail("open", name, errno);
    set_owner(entry, name, root.get(), "", AT_EMPTY_PATH);
    set_xattrs(entry, name, root.get(), false);
    deferred_.push_back({{}, name, libarchive().archive_entry_perm(entry), entry_times(entry)});
}

void Unpacker::directory(archive_entry* entry, const std::string& name, const Parts& parts, int parent) {
    const std::string& leaf = parts.back();
    if (!clear_leaf(parent, leaf, name, true) && ::mkdirat(parent, leaf.c_str(), 0700) != 0)
        fail("create", name, errno);
    UniqueFd dir(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) fail("open", name, errno);
    set_owner(entry, name, dir.get(), "", AT_EMPTY_PATH);
    set_xattrs(entry, name, dir.get(), false);
    // A whiteout earlier in this layer hid the lower directory: this one replaces it, it does not merge with it.
    if (whiteouts_.contains(join(parts))) set_opaque(dir.get(), name);
    deferred_.push_back({parts, name, libarchive().archive_entry_perm(entry), entry_times(entry)});
}

void Unpacker::regular(archive_entry* entry, const std::string& name, int parent, const std::string& leaf) {
    clear_leaf(parent, leaf, name, false);
    UniqueFd file(::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) fail("create", name, errno);

    la_int64_t end = 0;
    for (;;) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int status = libarchive().archive_read_data_block(reader_, &block, &size, &offset);
        if (status == ARCHIVE_EOF) break;
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN)
            read_failure("read " + quoted(name) + " (entry " + std::to_string(result.entries) + ")");
        const char* data = static_cast<const char*>(block);
        size_t done = 0;
        while (done < size) {
            ssize_t wrote = ::pwrite(file.get(), data + done, size - done, static_cast<off_t>(offset) + done);
            if (wrote < 0 && errno == EINTR) continue;
            if (wrote < 0) fail("write", name, errno);
            done += static_cast<size_t>(wrote);
        }
        end = offset + static_cast<la_int64_t>(size);
        result.bytes += size;
    }
    // A sparse file may end in a hole.
    if (libarchive().archive_entry_size_is_set(entry) && libarchive().archive_entry_size(entry) > end &&
        ::ftruncate(file.get(), static_cast<off_t>(libarchive().archive_entry_size(entry))) != 0)
        fail("write", name, errno);

    // chown before chmod (chown clears setuid) and before xattrs (chown clears security.capability).
    set_owner(entry, name, file.get(), "", AT_EMPTY_PATH);
    set_xattrs(entry, name, file.get(), false);
    if (::fchmod(file.get(), libarchive().archive_entry_perm(entry)) != 0) fail("chmod", name, errno);
    Times times = entry_times(entry);
    if (::futimens(file.get(), times.data()) != 0) fail("set times of", name, errno);
}

void Unpacker::symlink(archive_entry* entry, const std::string& name, int parent, const std::string& leaf) {
    const char* target =
        entry_text(libarchive().archive_entry_symlink(entry), libarchive().archive_entry_symlink_utf8(entry));
    if (!target) throw Error("unpack layer: symlink " + quoted(name) + " has no target");
    clear_leaf(parent, leaf, name, false);
    // The target is stored as it is: it is only ever followed inside the root.
    if (::symlinkat(target, parent, leaf.c_str()) != 0) fail("create", name, errno);
    set_owner(entry, name, parent, leaf.c_str(), 0);
    if (libarchive().archive_entry_xattr_count(entry) > 0) {
        UniqueFd link(::openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!link) fail("open", name, errno);
        set_xattrs(entry, name, link.get(), true);
    }
    set_times(name, parent, leaf.c_str(), entry_times(entry), AT_SYMLINK_NOFOLLOW);
}

// Fifos and device nodes. Returns false when a device was skipped (rootless).
bool Unpacker::special(archive_entry* entry, const std::string& name, int parent, const std::string& leaf) {
    auto type = libarchive().archive_entry_filetype(entry);
    bool device = type == AE_IFCHR || type == AE_IFBLK;
    dev_t dev =
        device ? ::makedev(libarchive().archive_entry_rdevmajor(entry), libarchive().archive_entry_rdevminor(entry))
               : 0;
    clear_leaf(parent, leaf, name, false);
    if (::mknodat(parent, leaf.c_str(), static_cast<mode_t>(type) | 0600, dev) != 0) {
        int err = errno;
        if (device && options_.rootless && err == EPERM) {
            warn("unpack layer: skip device " + quoted(name) + " (" + (type == AE_IFCHR ? "char " : "block ") +
                 std::to_string(::major(dev)) + ":" + std::to_string(::minor(dev)) +
                 "): device nodes cannot be created in a user namespace");
            return false;
        }
        fail("create", name, err);
    }
    set_owner(entry, name, parent, leaf.c_str(), 0);
    if (libarchive().archive_entry_xattr_count(entry) > 0) {
        UniqueFd node(::openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!node) fail("open", name, errno);
        set_xattrs(entry, name, node.get(), true);
    }
    if (::fchmodat(parent, leaf.c_str(), libarchive().archive_entry_perm(entry), 0) != 0) fail("chmod", name, errno);
    set_times(name, parent, leaf.c_str(), entry_times(entry), AT_SYMLINK_NOFOLLOW);
    return true;
}

void Unpacker::hard_link(const std::string& name, const Parts& parts, const char* target_name) {
    auto target = clean_path(target_name);
    if (!target) hostile(name);
    std::string what = "hard link " + quoted(name) + " to";
    if (parts.empty() || target->empty())
        throw Error("unpack layer: " + what + " " + quoted(target_name) + ": the layer root cannot be linked");
    std::string path = join(parts);
    std::string target_path = join(*target);
    if (path == target_path) return;  // a link to itself: the file is already there

    UniqueFd target_dir = open_dir(*target, target->size() - 1, name, false);
    if (!target_dir) fail(what, target_name, ENOENT);
    const std::string& target_leaf = target->back();
    struct stat st {};
    if (::fstatat(target_dir.get(), target_leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail(what, target_name, errno);
    if (S_ISDIR(st.st_mode))
        throw Error("unpack layer: " + what + " " + quoted(target_name) + ": the target is a directory");

    UniqueFd parent = open_dir(parts, parts.size() - 1, name, true);
    clear_leaf(parent.get(), parts.back(), name, false);
    if (::linkat(target_dir.get(), target_leaf.c_str(), parent.get(), parts.back().c_str(), 0) != 0)
        fail(what, target_name, errno);
    written(path);
}

void Unpacker::whiteout(const std::string& name, const Parts& parts) {
    const std::string& leaf = parts.back();
    Parts dir_parts(parts.begin(), parts.end() - 1);
    if (leaf == opaque_marker) return opaque(name, dir_parts);
    if (leaf.starts_with(whiteout_meta_prefix)) return;  // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs)

    std::string target = leaf.substr(whiteout_prefix.size());
    if (target.empty() || target == "." || target == "..")
        throw Error("unpack layer: whiteout " + quoted(name) + " names no file");
    Parts target_parts = dir_parts;
    target_parts.push_back(target);
    std::string target_path = join(target_parts);

    // A whiteout hides only what lower layers have (image-spec layer.md): what this layer put at the path, before
    // or after the whiteout, stays. A directory of this layer still hides the lower one's content, as an opaque one.
    if (written_.contains(target_path)) {
        if (is_directory(target_parts, name)) opaque(name, target_parts);
        return;
    }
    if (options_.overlay_whiteouts) {
        UniqueFd dir = open_dir(dir_parts, dir_parts.size(), name, true);
        clear_leaf(dir.get(), target, name, false);
        if (::mknodat(dir.get(), target.c_str(), S_IFCHR, ::makedev(0, 0)) != 0) fail("create whiteout", name, errno);
        whiteouts_.insert(target_path);
        return;
    }
    UniqueFd dir = open_dir(dir_parts, dir_parts.size(), name, false);
    if (dir) remove_at(dir.get(), target, target_path);
}

void Unpacker::opaque(const std::string& name, const Parts& dir_parts) {
    UniqueFd dir_path = open_dir(dir_parts, dir_parts.size(), name, options_.overlay_whiteouts);
    if (!dir_path) return;  // applying: nothing below to hide
    UniqueFd dir(::openat(dir_path.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) fail("open the directory of", name, errno);
    if (!options_.overlay_whiteouts) return empty_directory(dir.get(), join(dir_parts), true);
    set_opaque(dir.get(), name);
}

void Unpacker::set_opaque(int dir_fd, const std::string& name) {
    const char* key = options_.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
    if (::fsetxattr(dir_fd, key, "y", 1, 0) != 0) {
        int err = errno;
        fail(std::string("set xattr ") + key + " for", name, err);
    }
}

// A directory of this layer below a path this layer whited out earlier: the whiteout device makes way for an opaque
// directory, which hides the lower content just as the whiteout did.
void Unpacker::replace_whiteout_with_directory(int parent, const std::string& leaf, const std::string& path,
                                               const std::string& name) {
    struct stat st {};
    if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        fail("inspect " + quoted(path) + " for", name, errno);
    if (!S_ISCHR(st.st_mode) || st.st_rdev != ::makedev(0, 0))
        fail("open directory " + quoted(path) + " for", name, ENOTDIR);
    if (::unlinkat(parent, leaf.c_str(), 0) != 0) fail("remove the whiteout " + quoted(path) + " for", name, errno);
    if (::mkdirat(parent, leaf.c_str(), 0755) != 0) fail("create directory " + quoted(path) + " for", name, errno);
    UniqueFd dir(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) fail("open directory " + quoted(path) + " for", name, errno);
    set_opaque(dir.get(), name);
    written(path);
}

// Whether the path is a directory (not a symlink to one) in the tree being written.
bool Unpacker::is_directory(const Parts& parts, const std::string& name) {
    UniqueFd parent = open_dir(parts, parts.size() - 1, name, false);
    struct stat st {};
    return parent && ::fstatat(parent.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
}

void Unpacker::finish_directories() {
    std::unordered_map<std::string, size_t> latest;
    std::vector<std::string> paths;
    paths.reserve(deferred_.size());
    for (size_t i = 0; i < deferred_.size(); ++i) {
        paths.push_back(join(deferred_[i].parts));
        latest[paths.back()] = i;
    }
    // Deepest (latest) first, so that a parent's mode never stands in the way of its children.
    for (size_t i = deferred_.size(); i-- > 0;) {
        const DeferredDir& dir = deferred_[i];
        if (latest[paths[i]] != i) continue;
        if (dir.parts.empty()) {
            UniqueFd root(::openat(root_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!root) fail("open", dir.name, errno);
            if (::fchmod(root.get(), dir.mode) != 0) fail("chmod", dir.name, errno);
            if (::futimens(root.get(), dir.times.data()) != 0) fail("set times of", dir.name, errno);
            continue;
        }
        UniqueFd parent = open_dir(dir.parts, dir.parts.size() - 1, dir.name, false);
        if (!parent) continue;  // removed by a later whiteout
        const char* leaf = dir.parts.back().c_str();
        struct stat st {};
        if (::fstatat(parent.get(), leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (::fchmodat(parent.get(), leaf, dir.mode, 0) != 0) fail("chmod", dir.name, errno);
        set_times(dir.name, parent.get(), leaf, dir.times, AT_SYMLINK_NOFOLLOW);
    }
}

}  // namespace

UnpackResult unpack_layer(const std::function<size_t(char* buffer, size_t size)>& read_chunk, int root_fd,
                          const UnpackOptions& options) {
    struct stat st {};
    if (::fstat(root_fd, &st) != 0) throw_last_errno("unpack layer: inspect the target directory");
    if (!S_ISDIR(st.st_mode)) throw Error("unpack layer: the target is not a directory");

    // Two readers: `outer` undoes the compression and hands out the tar stream as it is (raw format, or the empty
    // format for an empty stream); `reader` reads the tar from it, through decompressed_callback.
    std::unique_ptr<archive, ArchiveFree> outer(libarchive().archive_read_new());
    std::unique_ptr<archive, ArchiveFree> reader(libarchive().archive_read_new());
    if (!outer || !reader) throw Error("unpack layer: cannot allocate the tar reader");
    auto setup_failed = [](archive* which) {
        const char* text = libarchive().archive_error_string(which);
        throw Error(std::string("unpack layer: set up the tar reader: ") + (text ? text : "unknown error"));
    };
    if (libarchive().archive_read_support_filter_gzip(outer.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_filter_zstd(outer.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_filter_none(outer.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_format_raw(outer.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_format_empty(outer.get()) < ARCHIVE_WARN)
        setup_failed(outer.get());
    if (libarchive().archive_read_support_filter_none(reader.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_format_tar(reader.get()) < ARCHIVE_WARN ||
        libarchive().archive_read_support_format_empty(reader.get()) < ARCHIVE_WARN)
        setup_failed(reader.get());

    Source source;
    source.read_chunk = &read_chunk;
    source.buffer.resize(read_buffer_size);
    auto open_failed = [&](archive* which) {
        if (source.error) std::rethrow_exception(source.error);
        const char* text = libarchive().archive_error_string(which);
        throw Error(std::string("unpack layer: open the layer stream: ") + (text ? text : "unknown error"));
    };
    if (libarchive().archive_read_open(outer.get(), &source, nullptr, read_callback, nullptr) != ARCHIVE_OK)
        open_failed(outer.get());
    Decompressed decompressed;
    decompressed.outer = outer.get();
    decompressed.source = &source;
    archive_entry* raw_entry = nullptr;
    int status = libarchive().archive_read_next_header(outer.get(), &raw_entry);
    if (status == ARCHIVE_EOF)
        decompressed.ended = true;  // an empty stream
    else if (status != ARCHIVE_OK && status != ARCHIVE_WARN)
        open_failed(outer.get());

    Unpacker unpacker(reader.get(), source, decompressed, root_fd, options);
    if (libarchive().archive_read_open(reader.get(), &decompressed, nullptr, decompressed_callback, nullptr) !=
        ARCHIVE_OK)
        open_failed(reader.get());
    unpacker.run();
    return std::move(unpacker.result);
}

UnpackResult unpack_layer_file(const std::string& layer_path, const std::string& target_dir,
                               const UnpackOptions& options) {
    UniqueFd layer(::open(layer_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!layer) {
        int err = errno;
        throw_errno("unpack layer: open " + quoted(layer_path), err);
    }
    UniqueFd target(::open(target_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!target) {
        int err = errno;
        throw_errno("unpack layer: open target directory " + quoted(target_dir), err);
    }
    auto read_chunk = [&](char* buffer, size_t size) -> size_t {
        for (;;) {
            ssize_t got = ::read(layer.get(), buffer, size);
            if (got >= 0) return static_cast<size_t>(got);
            int err = errno;
            if (err != EINTR) throw_errno("unpack layer: read " + quoted(layer_path), err);
        }
    };
    return unpack_layer(read_chunk, target.get(), options);
}

}  // namespace berth::storage

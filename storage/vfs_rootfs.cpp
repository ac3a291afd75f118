#include "storage/vfs_rootfs.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <string_view>
#include <utility>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {
namespace {

constexpr size_t copy_buffer_size = 128 * 1024;
constexpr std::array<const char*, 2> opaque_xattrs = {"trusted.overlay.opaque", "user.overlay.opaque"};
constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// A path inside the rootfs, one name per directory level; empty for the root.
using Parts = std::vector<std::string>;

std::string display(const Parts& parts) {
    std::string path;
    for (const auto& part : parts) path += "/" + part;
    return path.empty() ? "/" : path;
}

Parts child_of(const Parts& parts, const std::string& name) {
    Parts child = parts;
    child.push_back(name);
    return child;
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0); }

// Overlayfs' own metadata (opaque dirs, redirects, origins) describes a layer, not the merged tree: never copied.
bool is_overlay_xattr(std::string_view name) {
    return name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.");
}

std::array<timespec, 2> times_of(const struct stat& st) { return {st.st_atim, st.st_mtim}; }

// A file whose xattrs are read or written: through its descriptor, or, for an O_PATH descriptor (a symlink or a
// device node, which cannot be opened for reading), through /proc/self/fd, which leads to that very inode.
class XattrFile {
public:
    XattrFile(int fd, bool through_proc)
        : fd_(fd), proc_path_(through_proc ? "/proc/self/fd/" + std::to_string(fd) : std::string()) {}

    ssize_t list(char* buffer, size_t size) const {
        return proc_path_.empty() ? ::flistxattr(fd_, buffer, size) : ::listxattr(proc_path_.c_str(), buffer, size);
    }
    ssize_t get(const char* name, void* buffer, size_t size) const {
        return proc_path_.empty() ? ::fgetxattr(fd_, name, buffer, size)
                                  : ::getxattr(proc_path_.c_str(), name, buffer, size);
    }
    int set(const char* name, const std::string& value) const {
        return proc_path_.empty() ? ::fsetxattr(fd_, name, value.data(), value.size(), 0)
                                  : ::setxattr(proc_path_.c_str(), name, value.data(), value.size(), 0);
    }
    int remove(const char* name) const {
        return proc_path_.empty() ? ::fremovexattr(fd_, name) : ::removexattr(proc_path_.c_str(), name);
    }

private:
    int fd_;
    std::string proc_path_;
};

// Copies one layer onto the rootfs.
class LayerCopier {
public:
    LayerCopier(const std::string& layer_dir, int root_fd) : layer_dir_(layer_dir), root_fd_(root_fd) {}
    void run();

private:
    void copy_entry(int layer_parent, int target_parent, const std::string& name, const Parts& parts);
    void merge_directory(int layer_dir, int target_dir, const struct stat& st, const Parts& parts, bool existed);
    void directory(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                   const Parts& parts);
    void regular(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                 const Parts& parts);
    void symlink(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                 const Parts& parts);
    void special(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                 const Parts& parts);
    bool link_to_earlier_copy(int target_parent, const std::string& name, const struct stat& st, const Parts& parts);

    bool clear(int target_parent, const std::string& name, const Parts& parts, bool keep_directory);
    void empty_directory(int target_dir, const Parts& parts);
    bool is_opaque(int layer_dir, const Parts& parts);
    UniqueFd open_target_dir(const Parts& parts, size_t count);
    std::vector<std::string> list(int layer_dir, const Parts& parts);

    void copy_content(int from, int to, off_t size, const Parts& parts);
    void copy_range(int from, int to, off_t offset, off_t length, const Parts& parts);
    void copy_xattrs(const XattrFile& from, const XattrFile& to, const Parts& parts, bool drop_others);
    std::vector<std::string> xattr_names(const XattrFile& file, const Parts& parts);
    std::string xattr_value(const XattrFile& file, const std::string& name, const Parts& parts);
    void set_owner(int dir_fd, const char* name, const struct stat& st, const Parts& parts, int flags);

    [[noreturn]] void fail(const Parts& parts, std::string_view why) const;
    [[noreturn]] void fail(const Parts& parts, std::string_view what, int err) const;

    const std::string& layer_dir_;
    int root_fd_;
    // Hard links: where the first name of each inode with several names was copied to.
    std::map<std::pair<dev_t, ino_t>, Parts> copies_;
};

void LayerCopier::fail(const Parts& parts, std::string_view why) const {
    throw Error("vfs rootfs: copy " + display(parts) + " from layer " + layer_dir_ + ": " + std::string(why));
}

void LayerCopier::fail(const Parts& parts, std::string_view what, int err) const {
    fail(parts, std::string(what) + ": " + errno_text(err));
}

void LayerCopier::run() {
    UniqueFd layer(::open(layer_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!layer) fail({}, "open the layer", errno);
    struct stat st {};
    if (::fstat(layer.get(), &st) != 0) fail({}, "inspect the layer", errno);
    merge_directory(layer.get(), root_fd_, st, {}, true);
}

void LayerCopier::copy_entry(int layer_parent, int target_parent, const std::string& name, const Parts& parts) {
    struct stat st {};
    if (::fstatat(layer_parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail(parts, "inspect", errno);
    if (is_whiteout(st)) {
        clear(target_parent, name, parts, false);
        return;
    }
    if (S_ISDIR(st.st_mode)) return directory(layer_parent, target_parent, name, st, parts);
    if (st.st_nlink > 1 && link_to_earlier_copy(target_parent, name, st, parts)) return;
    switch (st.st_mode & S_IFMT) {
        case S_IFREG: regular(layer_parent, target_parent, name, st, parts); break;
        case S_IFLNK: symlink(layer_parent, target_parent, name, st, parts); break;
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
        case S_IFSOCK: special(layer_parent, target_parent, name, st, parts); break;
        default: fail(parts, "unknown file type");
    }
    if (st.st_nlink > 1) copies_.emplace(std::pair{st.st_dev, st.st_ino}, parts);
}

// Copies a layer's directory onto a target directory: the owner and xattrs first, then what is inside, then the mode
// and the times, which the contents would otherwise change. `existed`: the target directory was there before.
void LayerCopier::merge_directory(int layer_dir, int target_dir, const struct stat& st, const Parts& parts,
                                  bool existed) {
    if (existed && is_opaque(layer_dir, parts)) empty_directory(target_dir, parts);
    set_owner(target_dir, "", st, parts, AT_EMPTY_PATH);
    // A merged directory shows the upper directory's xattrs alone, as overlayfs does.
    copy_xattrs(XattrFile(layer_dir, false), XattrFile(target_dir, false), parts, existed);
    for (const auto& name : list(layer_dir, parts)) copy_entry(layer_dir, target_dir, name, child_of(parts, name));
    if (::fchmod(target_dir, st.st_mode & 07777) != 0) fail(parts, "chmod", errno);
    auto times = times_of(st);
    if (::futimens(target_dir, times.data()) != 0) fail(parts, "set times", errno);
}

void LayerCopier::directory(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                            const Parts& parts) {
    bool existed = clear(target_parent, name, parts, true);
    if (!existed && ::mkdirat(target_parent, name.c_str(), 0700) != 0) fail(parts, "create the directory", errno);
    UniqueFd layer_dir(::openat(layer_parent, name.c_str(), dir_flags));
    if (!layer_dir) fail(parts, "open", errno);
    UniqueFd target_dir(::openat(target_parent, name.c_str(), dir_flags));
    if (!target_dir) fail(parts, "open the copy", errno);
    merge_directory(layer_dir.get(), target_dir.get(), st, parts, existed);
}

void LayerCopier::regular(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                          const Parts& parts) {
    UniqueFd source(::openat(layer_parent, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!source) fail(parts, "open", errno);
    clear(target_parent, name, parts, false);
    UniqueFd copy(::openat(target_parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!copy) fail(parts, "create the copy", errno);
    copy_content(source.get(), copy.get(), st.st_size, parts);
    // chown before the xattrs (it clears security.capability) and before chmod (it clears setuid and setgid).
    set_owner(copy.get(), "", st, parts, AT_EMPTY_PATH);
    copy_xattrs(XattrFile(source.get(), false), XattrFile(copy.get(), false), parts, false);
    if (::fchmod(copy.get(), st.st_mode & 07777) != 0) fail(parts, "chmod", errno);
    auto times = times_of(st);
    if (::futimens(copy.get(), times.data()) != 0) fail(parts, "set times", errno);
}

void LayerCopier::symlink(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                          const Parts& parts) {
    // The target is copied as it is; it is never followed here.
    std::string link_target(static_cast<size_t>(st.st_size) + 1, '\0');
    for (;;) {
        ssize_t size = ::readlinkat(layer_parent, name.c_str(), link_target.data(), link_target.size());
        if (size < 0) fail(parts, "read the symlink", errno);
        if (static_cast<size_t>(size) < link_target.size()) {
            link_target.resize(static_cast<size_t>(size));
            break;
        }
        link_target.resize(link_target.size() * 2);  // it grew since it was inspected
    }
    clear(target_parent, name, parts, false);
    if (::symlinkat(link_target.c_str(), target_parent, name.c_str()) != 0) fail(parts, "create the symlink", errno);
    set_owner(target_parent, name.c_str(), st, parts, 0);
    UniqueFd source(::openat(layer_parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd copy(::openat(target_parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!source || !copy) fail(parts, "open the symlink", errno);
    copy_xattrs(XattrFile(source.get(), true), XattrFile(copy.get(), true), parts, false);
    auto times = times_of(st);
    if (::utimensat(target_parent, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0)
        fail(parts, "set times", errno);
}

// Device nodes, fifos and sockets.
void LayerCopier::special(int layer_parent, int target_parent, const std::string& name, const struct stat& st,
                          const Parts& parts) {
    clear(target_parent, name, parts, false);
    if (::mknodat(target_parent, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
        int err = errno;
        bool device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
        if (device && err == EPERM)
            fail(parts, std::string("create the ") + (S_ISCHR(st.st_mode) ? "char" : "block") + " device " +
                            std::to_string(::major(st.st_rdev)) + ":" + std::to_string(::minor(st.st_rdev)) + ": " +
                            errno_text(err) + " (device nodes cannot be created in a user namespace)");
        fail(parts, "create the node", err);
    }
    set_owner(target_parent, name.c_str(), st, parts, 0);
    UniqueFd source(::openat(layer_parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    UniqueFd copy(::openat(target_parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!source || !copy) fail(parts, "open the node", errno);
    copy_xattrs(XattrFile(source.get(), true), XattrFile(copy.get(), true), parts, false);
    if (::fchmodat(target_parent, name.c_str(), st.st_mode & 07777, 0) != 0) fail(parts, "chmod", errno);
    auto times = times_of(st);
    if (::utimensat(target_parent, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0)
        fail(parts, "set times", errno);
}

// A further name of an inode already copied from this layer becomes a hard link to that copy. Returns false for the
// first name.
bool LayerCopier::link_to_earlier_copy(int target_parent, const std::string& name, const struct stat& st,
                                       const Parts& parts) {
    auto found = copies_.find({st.st_dev, st.st_ino});
    if (found == copies_.end()) return false;
    const Parts& first = found->second;
    UniqueFd first_parent = open_target_dir(first, first.size() - 1);
    clear(target_parent, name, parts, false);
    if (::linkat(first_parent.get(), first.back().c_str(), target_parent, name.c_str(), 0) != 0)
        fail(parts, "link to " + display(first), errno);
    return true;
}

// Makes room for `name` in the target directory: whatever is there goes, except a directory when `keep_directory`.
// Returns whether a directory was kept.
bool LayerCopier::clear(int target_parent, const std::string& name, const Parts& parts, bool keep_directory) {
    struct stat st {};
    if (::fstatat(target_parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return false;
        fail(parts, "inspect the lower layers' copy", errno);
    }
    if (keep_directory && S_ISDIR(st.st_mode)) return true;
    try {
        remove_tree_at(target_parent, name, display(parts));
    } catch (const Error& error) {
        fail(parts, error.what());
    }
    return false;
}

// Removes what the layers below put in a directory that this layer makes opaque.
void LayerCopier::empty_directory(int target_dir, const Parts& parts) {
    try {
        for (const auto& name : list_directory_at(target_dir, display(parts)))
            remove_tree_at(target_dir, name, display(child_of(parts, name)));
    } catch (const Error& error) {
        fail(parts, error.what());
    }
}

bool LayerCopier::is_opaque(int layer_dir, const Parts& parts) {
    for (const char* key : opaque_xattrs) {
        char value[2] = {};
        ssize_t size = ::fgetxattr(layer_dir, key, value, sizeof value);
        if (size == 1 && value[0] == 'y') return true;
        // ERANGE: a longer value, which is not "y".
        if (size < 0 && errno != ENODATA && errno != ENOTSUP && errno != ERANGE)
            fail(parts, std::string("read xattr ") + key, errno);
    }
    return false;
}

// Opens (O_PATH) the target directory made of the first `count` parts, one level at a time, following no symlink.
UniqueFd LayerCopier::open_target_dir(const Parts& parts, size_t count) {
    UniqueFd dir(::openat(root_fd_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) fail({}, "open the rootfs", errno);
    for (size_t i = 0; i < count; ++i) {
        UniqueFd next(::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) fail(Parts(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i) + 1), "open", errno);
        dir = std::move(next);
    }
    return dir;
}

std::vector<std::string> LayerCopier::list(int layer_dir, const Parts& parts) {
    try {
        return list_directory_at(layer_dir, display(parts));
    } catch (const Error& error) {
        fail(parts, error.what());
    }
}

// Copies a regular file's content: a reflink where the file system can share extents, else the data ranges alone
// (so that holes stay holes), with copy_file_range where it works and read and write where it does not.
void LayerCopier::copy_content(int from, int to, off_t size, const Parts& parts) {
    if (size == 0) return;
    if (::ioctl(to, FICLONE, from) == 0) return;
    off_t offset = 0;
    while (offset < size) {
        off_t data = ::lseek(from, offset, SEEK_DATA);
        off_t hole = size;
        if (data < 0 && errno == ENXIO) break;  // only a hole is left
        if (data < 0 && errno != EINVAL && errno != EOPNOTSUPP) fail(parts, "find data", errno);
        if (data < 0) {
            data = offset;  // no hole support: all of it is data
        } else if ((hole = ::lseek(from, data, SEEK_HOLE)) < 0) {
            fail(parts, "find holes", errno);
        }
        if (data >= size) break;
        hole = std::min(hole, size);
        copy_range(from, to, data, hole - data, parts);
        offset = hole;
    }
    // The copy may end in a hole.
    if (::ftruncate(to, size) != 0) fail(parts, "set the size of the copy", errno);
}

void LayerCopier::copy_range(int from, int to, off_t offset, off_t length, const Parts& parts) {
    bool kernel_copy = true;
    std::string buffer;
    while (length > 0) {
        if (kernel_copy) {
            loff_t in = offset, out = offset;
            ssize_t copied = ::copy_file_range(from, &in, to, &out, static_cast<size_t>(length), 0);
            if (copied > 0) {
                offset += copied;
                length -= copied;
                continue;
            }
            if (copied < 0 && errno == EINTR) continue;
            // Not across these file systems, or not at all: read and write the rest.
            if (copied < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                fail(parts, "copy", errno);
            kernel_copy = false;
            buffer.resize(copy_buffer_size);
        }
        size_t chunk = std::min(buffer.size(), static_cast<size_t>(length));
        ssize_t got = ::pread(from, buffer.data(), chunk, offset);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail(parts, "read", errno);
        if (got == 0) fail(parts, "read: the file shrank while it was copied");
        for (ssize_t done = 0; done < got;) {
            ssize_t wrote = ::pwrite(to, buffer.data() + done, static_cast<size_t>(got - done), offset + done);
            if (wrote < 0 && errno == EINTR) continue;
            if (wrote < 0) fail(parts, "write the copy", errno);
            done += wrote;
        }
        offset += got;
        length -= got;
    }
}

// Copies every xattr but overlayfs' own. With `drop_others`, the copy's xattrs that the source does not have go.
void LayerCopier::copy_xattrs(const XattrFile& from, const XattrFile& to, const Parts& parts, bool drop_others) {
    std::vector<std::string> names = xattr_names(from, parts);
    std::erase_if(names, is_overlay_xattr);
    if (drop_others) {
        for (const auto& name : xattr_names(to, parts)) {
            if (std::find(names.begin(), names.end(), name) != names.end()) continue;
            if (to.remove(name.c_str()) != 0 && errno != ENODATA && errno != ENOTSUP)
                fail(parts, "remove the lower layers' xattr " + name, errno);
        }
    }
    for (const auto& name : names) {
        std::string value = xattr_value(from, name, parts);
        // A file system without this kind of xattr: the copy goes without it.
        if (to.set(name.c_str(), value) != 0 && errno != ENOTSUP) fail(parts, "set xattr " + name, errno);
    }
}

std::vector<std::string> LayerCopier::xattr_names(const XattrFile& file, const Parts& parts) {
    for (;;) {
        ssize_t size = file.list(nullptr, 0);
        if (size < 0 && errno == ENOTSUP) return {};
        if (size < 0) fail(parts, "list xattrs", errno);
        std::string list(static_cast<size_t>(size), '\0');
        size = size == 0 ? 0 : file.list(list.data(), list.size());
        if (size < 0 && errno == ERANGE) continue;  // one was added meanwhile
        if (size < 0) fail(parts, "list xattrs", errno);
        list.resize(static_cast<size_t>(size));
        std::vector<std::string> names;
        for (size_t start = 0; start < list.size();) {
            size_t end = list.find('\0', start);
            if (end == std::string::npos) end = list.size();
            if (end > start) names.push_back(list.substr(start, end - start));
            start = end + 1;
        }
        return names;
    }
}

std::string LayerCopier::xattr_value(const XattrFile& file, const std::string& name, const Parts& parts) {
    for (;;) {
        ssize_t size = file.get(name.c_str(), nullptr, 0);
        if (size < 0) fail(parts, "read xattr " + name, errno);
        std::string value(static_cast<size_t>(size), '\0');
        size = size == 0 ? 0 : file.get(name.c_str(), value.data(), value.size());
        if (size < 0 && errno == ERANGE) continue;  // it grew meanwhile
        if (size < 0) fail(parts, "read xattr " + name, errno);
        value.resize(static_cast<size_t>(size));
        return value;
    }
}

void LayerCopier::set_owner(int dir_fd, const char* name, const struct stat& st, const Parts& parts, int flags) {
    if (::fchownat(dir_fd, name, st.st_uid, st.st_gid, flags | AT_SYMLINK_NOFOLLOW) != 0)
        fail(parts, "chown to " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid), errno);
}

}  // namespace

void assemble_vfs_rootfs(const std::vector<std::string>& layer_dirs, const std::string& target) {
    try {
        make_directories(target, 0755);
    } catch (const Error& error) {
        throw Error("vfs rootfs: create " + target + ": " + error.what());
    }
    UniqueFd root(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
        int err = errno;
        throw_errno("vfs rootfs: open " + target, err);
    }
    for (const auto& layer_dir : layer_dirs) LayerCopier(layer_dir, root.get()).run();
}

}  // namespace berth::storage

#include "volumes/chown_tree.hpp"

#include <ftw.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"

namespace berth::volumes {
namespace {

// nftw has no argument for its callback: the ids and the first failure live here for the one walk at a time.
thread_local uid_t walk_uid = 0;
thread_local gid_t walk_gid = 0;
thread_local int walk_error = 0;
thread_local const char* walk_failed = nullptr;

int chown_entry(const char* path, const struct stat*, int, FTW*) {
    if (::lchown(path, walk_uid, walk_gid) == 0) return 0;
    walk_error = errno;
    walk_failed = path;
    return 1;
}

}  // namespace

void chown_tree(const std::string& path, uint32_t uid, uint32_t gid) {
    walk_uid = uid;
    walk_gid = gid;
    walk_error = 0;
    walk_failed = nullptr;
    constexpr int open_directories = 64;
    int result = ::nftw(path.c_str(), chown_entry, open_directories, FTW_PHYS | FTW_MOUNT);
    if (result == 1) throw_errno("chown " + std::string(walk_failed), walk_error);
    if (result != 0) throw_last_errno("chown " + path);
}

}  // namespace berth::volumes

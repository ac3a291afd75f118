#include "storage/vfs_rootfs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {
namespace {

bool is_root() { return ::geteuid() == 0; }

void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Builders of layer directories, as storage/layer_unpack.cpp leaves them (overlayfs whiteouts).
void put_file(const std::string& path, const std::string& content, mode_t mode = 0644) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    check(fd.valid(), "create " + path);
    check(::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()), "write " + path);
    check(::fchmod(fd.get(), mode) == 0, "chmod " + path);
}

void put_dir(const std::string& path, mode_t mode = 0755) {
    make_directories(path);
    check(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

void put_symlink(const std::string& path, const std::string& target) {
    check(::symlink(target.c_str(), path.c_str()) == 0, "symlink " + path);
}

void put_whiteout(const std::string& path) {
    check(::mknod(path.c_str(), S_IFCHR | 0000, ::makedev(0, 0)) == 0, "mknod " + path);
}

// A device node, fifo or socket with exactly this mode (mknod's is cut by the umask).
void put_node(const std::string& path, mode_t type, mode_t mode, dev_t device = 0) {
    check(::mknod(path.c_str(), type | 0600, device) == 0, "mknod " + path);
    check(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

void make_opaque(const std::string& path, const char* key = "trusted.overlay.opaque") {
    check(::setxattr(path.c_str(), key, "y", 1, 0) == 0, "setxattr " + path);
}

void set_mtime(const std::string& path, time_t seconds, long nanoseconds = 0) {
    timespec times[2] = {{seconds - 100, 0}, {seconds, nanoseconds}};
    check(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0, "utimensat " + path);
}

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    check(::lstat(path.c_str(), &st) == 0, "lstat " + path);
    return st;
}

std::optional<std::string> xattr_of(const std::string& path, const char* key) {
    char value[256];
    ssize_t size = ::lgetxattr(path.c_str(), key, value, sizeof value);
    if (size < 0) return std::nullopt;
    return std::string(value, static_cast<size_t>(size));
}

std::set<std::string> names_in(const std::string& dir) {
    auto names = list_directory(dir);
    return {names.begin(), names.end()};
}

std::string read_link(const std::string& path) {
    char target[4096];
    ssize_t size = ::readlink(path.c_str(), target, sizeof target);
    check(size >= 0, "readlink " + path);
    return std::string(target, static_cast<size_t>(size));
}

void write_proc(const char* path, const std::string& text) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(77);
}

// Runs `body` in a child process inside a new user namespace whose root is the caller (like `unshare -r`), and
// returns what it returned (or "exception: <what>"); nothing when user namespaces are not available here.
std::optional<std::string> in_user_namespace(const std::function<std::string()>& body) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    pid_t child = ::fork();
    if (child < 0) throw std::runtime_error("fork failed");
    if (child == 0) {
        if (::unshare(CLONE_NEWUSER) != 0) ::_exit(77);
        write_proc("/proc/self/setgroups", "deny");
        write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
        write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
        std::string out;
        try {
            out = body();
        } catch (const std::exception& e) {
            out = std::string("exception: ") + e.what();
        }
        ssize_t ignored = ::write(write_end.get(), out.data(), out.size());
        ::_exit(ignored == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    write_end.reset();
    std::string out;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(read_end.get(), buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(got));
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) return std::nullopt;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
    return out;
}

class VfsRootfs : public ::testing::Test {
protected:
    // A new, empty layer directory "layerN".
    std::string layer() {
        std::string dir = base.path() + "/layer" + std::to_string(layers.size());
        put_dir(dir);
        layers.push_back(dir);
        return dir;
    }

    void assemble() { assemble_vfs_rootfs(layers, rootfs); }

    std::string assemble_error() {
        try {
            assemble();
        } catch (const Error& e) {
            return e.what();
        }
        return "no error";
    }

    TempDir base{"/tmp", "berth-vfs-"};
    std::string rootfs = base.path() + "/rootfs";
    std::vector<std::string> layers;
};

#define SKIP_UNLESS_ROOT() \
    if (!is_root()) GTEST_SKIP() << "whiteouts, other owners and trusted xattrs need root"

TEST_F(VfsRootfs, LowerFilesStayVisibleAndUpperFilesReplaceThem) {
    std::string lower = layer();
    put_dir(lower + "/etc");
    put_file(lower + "/etc/hostname", "lower\n");
    put_file(lower + "/etc/os-release", "debian\n");
    std::string upper = layer();
    put_dir(upper + "/etc");
    put_file(upper + "/etc/hostname", "upper\n");
    put_file(upper + "/etc/new", "new\n");
    assemble();
    EXPECT_EQ(read_file(rootfs + "/etc/os-release"), "debian\n");
    EXPECT_EQ(read_file(rootfs + "/etc/hostname"), "upper\n");
    EXPECT_EQ(read_file(rootfs + "/etc/new"), "new\n");
    EXPECT_EQ(names_in(rootfs + "/etc"), (std::set<std::string>{"hostname", "new", "os-release"}));
    // A copy, not a link to the layer: changing the rootfs leaves the layer alone.
    put_file(rootfs + "/etc/os-release", "changed\n");
    EXPECT_EQ(read_file(lower + "/etc/os-release"), "debian\n");
}

TEST_F(VfsRootfs, CreatesTheTargetAndItsParents) {
    std::string only = layer();
    put_file(only + "/file", "x");
    rootfs = base.path() + "/containers/abc/rootfs";
    assemble();
    EXPECT_EQ(read_file(rootfs + "/file"), "x");
}

TEST_F(VfsRootfs, WhiteoutsDeleteAFileAndAWholeTree) {
    SKIP_UNLESS_ROOT();
    std::string lower = layer();
    put_dir(lower + "/etc");
    put_file(lower + "/etc/gone", "x");
    put_file(lower + "/etc/kept", "y");
    put_dir(lower + "/var/cache/apt/archives");
    put_file(lower + "/var/cache/apt/archives/big.deb", "z");
    put_file(lower + "/var/log", "w");
    std::string upper = layer();
    put_dir(upper + "/etc");
    put_whiteout(upper + "/etc/gone");
    put_dir(upper + "/var");
    put_whiteout(upper + "/var/cache");
    put_whiteout(upper + "/var/never-existed");
    assemble();
    EXPECT_EQ(names_in(rootfs + "/etc"), std::set<std::string>{"kept"});
    EXPECT_EQ(names_in(rootfs + "/var"), std::set<std::string>{"log"});  // no whiteout device is copied
}

TEST_F(VfsRootfs, OpaqueDirectoryHidesLowerContentsButKeepsItsOwn) {
    SKIP_UNLESS_ROOT();
    std::string lower = layer();
    put_dir(lower + "/opt/sub");
    put_file(lower + "/opt/old", "old");
    put_file(lower + "/opt/sub/deep", "deep");
    put_file(lower + "/opt-sibling", "kept");
    std::string upper = layer();
    put_dir(upper + "/opt");
    put_file(upper + "/opt/new", "new");
    make_opaque(upper + "/opt");
    assemble();
    EXPECT_EQ(names_in(rootfs + "/opt"), std::set<std::string>{"new"});
    EXPECT_EQ(read_file(rootfs + "/opt-sibling"), "kept");
    EXPECT_FALSE(xattr_of(rootfs + "/opt", "trusted.overlay.opaque")) << "the opaque marker is copied";
}

TEST_F(VfsRootfs, RootlessOpaqueMarkerWorksToo) {
    std::string lower = layer();
    put_dir(lower + "/opt");
    put_file(lower + "/opt/old", "old");
    std::string upper = layer();
    put_dir(upper + "/opt");
    put_file(upper + "/opt/new", "new");
    if (::setxattr((upper + "/opt").c_str(), "user.overlay.opaque", "y", 1, 0) != 0)
        GTEST_SKIP() << "this file system has no user xattrs";
    assemble();
    EXPECT_EQ(names_in(rootfs + "/opt"), std::set<std::string>{"new"});
    EXPECT_FALSE(xattr_of(rootfs + "/opt", "user.overlay.opaque")) << "the opaque marker is copied";
}

TEST_F(VfsRootfs, OpaqueMarkerWithAnotherValueIsNotOpaque) {
    SKIP_UNLESS_ROOT();
    std::string lower = layer();
    put_dir(lower + "/opt");
    put_file(lower + "/opt/old", "old");
    std::string upper = layer();
    put_dir(upper + "/opt");
    check(::setxattr((upper + "/opt").c_str(), "trusted.overlay.opaque", "n", 1, 0) == 0, "setxattr");
    assemble();
    EXPECT_EQ(names_in(rootfs + "/opt"), std::set<std::string>{"old"});
}

TEST_F(VfsRootfs, DirectoryReplacesFileAndFileReplacesDirectory) {
    std::string lower = layer();
    put_file(lower + "/was-file", "file");
    put_dir(lower + "/was-dir/inner");
    put_file(lower + "/was-dir/inner/x", "x");
    put_symlink(lower + "/was-link", "was-dir");
    std::string upper = layer();
    put_dir(upper + "/was-file");
    put_file(upper + "/was-file/inside", "inside");
    put_file(upper + "/was-dir", "now a file");
    put_dir(upper + "/was-link");
    assemble();
    EXPECT_TRUE(S_ISDIR(lstat_of(rootfs + "/was-file").st_mode));
    EXPECT_EQ(read_file(rootfs + "/was-file/inside"), "inside");
    EXPECT_TRUE(S_ISREG(lstat_of(rootfs + "/was-dir").st_mode));
    EXPECT_EQ(read_file(rootfs + "/was-dir"), "now a file");
    EXPECT_TRUE(S_ISDIR(lstat_of(rootfs + "/was-link").st_mode));
    EXPECT_TRUE(names_in(rootfs + "/was-link").empty());
}

TEST_F(VfsRootfs, SymlinksAreRecreatedVerbatimNotFollowed) {
    std::string only = layer();
    put_dir(only + "/etc");
    put_symlink(only + "/etc/absolute", "/etc/passwd");
    put_symlink(only + "/etc/relative", "../usr/lib/os-release");
    put_symlink(only + "/etc/dangling", "no/such/file");
    put_symlink(only + "/etc/dir-link", "/usr");
    assemble();
    for (const auto& [name, target] :
         std::vector<std::pair<std::string, std::string>>{{"absolute", "/etc/passwd"},
                                                          {"relative", "../usr/lib/os-release"},
                                                          {"dangling", "no/such/file"},
                                                          {"dir-link", "/usr"}}) {
        std::string path = rootfs + "/etc/" + name;
        EXPECT_TRUE(S_ISLNK(lstat_of(path).st_mode)) << name;
        EXPECT_EQ(read_link(path), target) << name;
    }
}

TEST_F(VfsRootfs, HardLinksWithinALayerShareAnInode) {
    std::string only = layer();
    put_dir(only + "/bin");
    put_dir(only + "/sbin");
    put_file(only + "/bin/busybox", "#!busybox", 0755);
    check(::link((only + "/bin/busybox").c_str(), (only + "/bin/sh").c_str()) == 0, "link");
    check(::link((only + "/bin/busybox").c_str(), (only + "/sbin/init").c_str()) == 0, "link");
    put_file(only + "/bin/other", "#!busybox", 0755);
    assemble();
    struct stat busybox = lstat_of(rootfs + "/bin/busybox");
    EXPECT_EQ(busybox.st_nlink, 3u);
    EXPECT_EQ(lstat_of(rootfs + "/bin/sh").st_ino, busybox.st_ino);
    EXPECT_EQ(lstat_of(rootfs + "/sbin/init").st_ino, busybox.st_ino);
    EXPECT_NE(lstat_of(rootfs + "/bin/other").st_ino, busybox.st_ino);
    EXPECT_NE(lstat_of(only + "/bin/busybox").st_ino, busybox.st_ino) << "linked to the layer instead of copied";
    EXPECT_EQ(read_file(rootfs + "/sbin/init"), "#!busybox");
}

TEST_F(VfsRootfs, OwnerModeTimesAndXattrsArePreserved) {
    SKIP_UNLESS_ROOT();
    std::string only = layer();
    put_dir(only + "/usr/bin");
    std::string ping = only + "/usr/bin/ping";
    put_file(ping, "ping");
    check(::chown(ping.c_str(), 1234, 5678) == 0, "chown");
    check(::chmod(ping.c_str(), 04755) == 0, "chmod");
    vfs_cap_data cap{};
    cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    cap.data[0].permitted = 1u << CAP_NET_RAW;
    std::string cap_bytes(reinterpret_cast<const char*>(&cap), XATTR_CAPS_SZ_2);
    check(::setxattr(ping.c_str(), "security.capability", cap_bytes.data(), cap_bytes.size(), 0) == 0, "setcap");
    check(::setxattr(ping.c_str(), "user.comment", "hi", 2, 0) == 0, "setxattr");
    set_mtime(ping, 1'500'000'000, 123'456'789);
    std::string tmp = only + "/tmp";
    put_dir(tmp, 01777);
    put_file(tmp + "/inside", "x");
    check(::chown(tmp.c_str(), 42, 43) == 0, "chown");
    check(::setxattr(tmp.c_str(), "trusted.test", "dir", 3, 0) == 0, "setxattr");
    set_mtime(tmp, 1'400'000'000);
    put_dir(only + "/shared", 02775);
    put_symlink(only + "/link", "usr/bin/ping");
    check(::lchown((only + "/link").c_str(), 7, 8) == 0, "lchown");
    set_mtime(only + "/link", 1'300'000'000);
    assemble();

    struct stat st = lstat_of(rootfs + "/usr/bin/ping");
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'500'000'000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789);
    EXPECT_EQ(st.st_atim.tv_sec, 1'500'000'000 - 100);
    EXPECT_EQ(xattr_of(rootfs + "/usr/bin/ping", "security.capability"), cap_bytes);
    EXPECT_EQ(xattr_of(rootfs + "/usr/bin/ping", "user.comment"), "hi");

    st = lstat_of(rootfs + "/tmp");
    EXPECT_EQ(st.st_uid, 42u);
    EXPECT_EQ(st.st_gid, 43u);
    EXPECT_EQ(st.st_mode & 07777, 01777u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'400'000'000) << "a directory's times are set after its contents";
    EXPECT_EQ(xattr_of(rootfs + "/tmp", "trusted.test"), "dir");
    EXPECT_EQ(lstat_of(rootfs + "/shared").st_mode & 07777, 02775u);

    st = lstat_of(rootfs + "/link");
    EXPECT_EQ(st.st_uid, 7u);
    EXPECT_EQ(st.st_gid, 8u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'300'000'000);
}

TEST_F(VfsRootfs, UpperDirectoryMetadataWinsOverLower) {
    SKIP_UNLESS_ROOT();
    std::string lower = layer();
    put_dir(lower + "/data", 0700);
    check(::setxattr((lower + "/data").c_str(), "trusted.lower-only", "x", 1, 0) == 0, "setxattr");
    put_file(lower + "/data/a", "a");
    std::string upper = layer();
    put_dir(upper + "/data", 0750);
    check(::chown((upper + "/data").c_str(), 5, 6) == 0, "chown");
    put_file(upper + "/data/b", "b");
    set_mtime(upper + "/data", 1'234'567'890);
    assemble();
    struct stat st = lstat_of(rootfs + "/data");
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_uid, 5u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'234'567'890);
    EXPECT_FALSE(xattr_of(rootfs + "/data", "trusted.lower-only"));
    EXPECT_EQ(names_in(rootfs + "/data"), (std::set<std::string>{"a", "b"}));
}

TEST_F(VfsRootfs, DevicesFifosAndSocketsAreRecreated) {
    SKIP_UNLESS_ROOT();
    std::string only = layer();
    put_dir(only + "/dev");
    put_node(only + "/dev/null", S_IFCHR, 0666, ::makedev(1, 3));
    put_node(only + "/dev/loop0", S_IFBLK, 0660, ::makedev(7, 0));
    put_node(only + "/dev/fifo", S_IFIFO, 0620);
    put_node(only + "/dev/socket", S_IFSOCK, 0755);
    assemble();
    struct stat st = lstat_of(rootfs + "/dev/null");
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, ::makedev(1, 3));
    EXPECT_EQ(st.st_mode & 07777, 0666u);
    st = lstat_of(rootfs + "/dev/loop0");
    EXPECT_TRUE(S_ISBLK(st.st_mode));
    EXPECT_EQ(st.st_rdev, ::makedev(7, 0));
    EXPECT_TRUE(S_ISFIFO(lstat_of(rootfs + "/dev/fifo").st_mode));
    EXPECT_EQ(lstat_of(rootfs + "/dev/fifo").st_mode & 07777, 0620u);
    EXPECT_TRUE(S_ISSOCK(lstat_of(rootfs + "/dev/socket").st_mode));
}

TEST_F(VfsRootfs, DeviceInAUserNamespaceIsAClearError) {
    SKIP_UNLESS_ROOT();
    std::string only = layer();
    put_dir(only + "/dev");
    put_node(only + "/dev/null", S_IFCHR, 0666, ::makedev(1, 3));
    auto out = in_user_namespace([&] { return assemble_error(); });
    if (!out) GTEST_SKIP() << "user namespaces are not available here";
    EXPECT_EQ(*out, "vfs rootfs: copy /dev/null from layer " + only +
                        ": create the char device 1:3: Operation not permitted (device nodes cannot be created in a "
                        "user namespace)");
}

TEST_F(VfsRootfs, SparseFilesKeepContentAndHoles) {
    std::string only = layer();
    std::string path = only + "/sparse";
    const off_t size = 64 * 1024 * 1024;
    {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        ASSERT_TRUE(fd.valid());
        ASSERT_EQ(::pwrite(fd.get(), "head", 4, 0), 4);
        ASSERT_EQ(::pwrite(fd.get(), "middle", 6, size / 2), 6);
        ASSERT_EQ(::ftruncate(fd.get(), size), 0);  // ends in a hole
    }
    if (lstat_of(path).st_blocks * 512 >= size) GTEST_SKIP() << "this file system has no holes";
    assemble();
    std::string copy = read_file(rootfs + "/sparse");
    ASSERT_EQ(copy.size(), static_cast<size_t>(size));
    EXPECT_EQ(copy.substr(0, 4), "head");
    EXPECT_EQ(copy.substr(size / 2, 6), "middle");
    EXPECT_EQ(copy.find_first_not_of('\0', 4), static_cast<size_t>(size / 2));
    EXPECT_EQ(copy.find_first_not_of('\0', size / 2 + 6), std::string::npos);
    EXPECT_LT(lstat_of(rootfs + "/sparse").st_blocks * 512, size / 4) << "the holes were filled";
}

// A lower layer's symlink out of the rootfs cannot carry an upper layer's files, whiteouts or opaque markers there:
// the upper layer's directory of that name replaces the symlink, as overlayfs shows it.
TEST_F(VfsRootfs, SymlinkOutOfTheRootfsIsReplacedNeverWrittenThrough) {
    TempDir outside("/tmp", "berth-vfs-outside-");
    put_file(outside.path() + "/victim", "keep me");
    std::string lower = layer();
    put_symlink(lower + "/escape", outside.path());
    put_dir(lower + "/etc");
    put_symlink(lower + "/etc/conf", outside.path());
    std::string upper = layer();
    put_dir(upper + "/escape");
    put_file(upper + "/escape/pwned", "pwned");
    put_dir(upper + "/etc/conf/sub");
    put_file(upper + "/etc/conf/sub/pwned", "pwned");
    if (is_root()) {
        put_whiteout(upper + "/escape/victim");
        make_opaque(upper + "/etc/conf");
    }
    assemble();
    EXPECT_EQ(names_in(outside.path()), std::set<std::string>{"victim"});
    EXPECT_EQ(read_file(outside.path() + "/victim"), "keep me");
    EXPECT_TRUE(S_ISDIR(lstat_of(rootfs + "/escape").st_mode)) << "the symlink was not replaced";
    EXPECT_EQ(read_file(rootfs + "/escape/pwned"), "pwned");
    EXPECT_TRUE(S_ISDIR(lstat_of(rootfs + "/etc/conf").st_mode)) << "the symlink was not replaced";
    EXPECT_EQ(read_file(rootfs + "/etc/conf/sub/pwned"), "pwned");
}

TEST_F(VfsRootfs, ErrorsNameThePathAndTheLayer) {
    std::string missing = base.path() + "/no-such-layer";
    layers.push_back(missing);
    EXPECT_EQ(assemble_error(),
              "vfs rootfs: copy / from layer " + missing + ": open the layer: No such file or directory");
}

}  // namespace
}  // namespace berth::storage

#include "storage/layer_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

// One member of a test layer.
struct Member {
    std::string name;
    unsigned type = AE_IFREG;
    unsigned perm = 0644;
    std::string content;
    std::string symlink;   // target of a symlink
    std::string hardlink;  // target of a hard link
    int64_t uid = ::geteuid();
    int64_t gid = ::getegid();
    time_t mtime = 1'600'000'000;
    long mtime_nsec = 0;
    unsigned dev_major = 0;
    unsigned dev_minor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
};

Member file(std::string name, std::string content, unsigned perm = 0644) {
    Member member;
    member.name = std::move(name);
    member.content = std::move(content);
    member.perm = perm;
    return member;
}

Member dir(std::string name, unsigned perm = 0755) {
    Member member;
    member.name = std::move(name);
    member.type = AE_IFDIR;
    member.perm = perm;
    return member;
}

Member symlink(std::string name, std::string target) {
    Member member;
    member.name = std::move(name);
    member.type = AE_IFLNK;
    member.perm = 0777;
    member.symlink = std::move(target);
    return member;
}

Member hardlink(std::string name, std::string target) {
    Member member;
    member.name = std::move(name);
    member.hardlink = std::move(target);
    return member;
}

Member node(std::string name, unsigned type, unsigned perm, unsigned major = 0, unsigned minor = 0) {
    Member member;
    member.name = std::move(name);
    member.type = type;
    member.perm = perm;
    member.dev_major = major;
    member.dev_minor = minor;
    return member;
}

enum class Compression { none, gzip, zstd };

la_ssize_t append_to_string(archive*, void* data, const void* buffer, size_t size) {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
}

// `data` compressed with gzip or zstd (or as it is), written with libarchive's raw format.
std::string compress(const std::string& data, Compression compression) {
    if (compression == Compression::none) return data;
    std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(), &archive_write_free);
    auto check = [&](int status) {
        if (status < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(writer.get()));
    };
    check(archive_write_set_format_raw(writer.get()));
    // No zero padding after the compressed stream, as registries' layers have none.
    check(archive_write_set_bytes_in_last_block(writer.get(), 1));
    check(compression == Compression::gzip ? archive_write_add_filter_gzip(writer.get())
                                           : archive_write_add_filter_zstd(writer.get()));
    std::string out;
    check(archive_write_open(writer.get(), &out, nullptr, append_to_string, nullptr));
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(entry.get(), "data");
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    check(archive_write_header(writer.get(), entry.get()));
    if (!data.empty() && archive_write_data(writer.get(), data.data(), data.size()) < 0)
        throw std::runtime_error(archive_error_string(writer.get()));
    check(archive_write_close(writer.get()));
    return out;
}

// A plain layer tar of `members`, in memory, written with libarchive, ending right after its end-of-archive blocks.
// pax_restricted writes an extended header only where ustar cannot say it (xattrs, long names); `full_pax` always
// writes one (sub-second times).
std::string make_tar(const std::vector<Member>& members, bool full_pax = false) {
    std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(), &archive_write_free);
    auto check = [&](int status) {
        if (status < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(writer.get()));
    };
    check(full_pax ? archive_write_set_format_pax(writer.get())
                   : archive_write_set_format_pax_restricted(writer.get()));
    check(archive_write_set_bytes_in_last_block(writer.get(), 1));
    std::string out;
    check(archive_write_open(writer.get(), &out, nullptr, append_to_string, nullptr));
    for (const auto& member : members) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), member.name.c_str());
        archive_entry_set_filetype(entry.get(), member.type);
        archive_entry_set_perm(entry.get(), member.perm);
        archive_entry_set_uid(entry.get(), member.uid);
        archive_entry_set_gid(entry.get(), member.gid);
        archive_entry_set_mtime(entry.get(), member.mtime, member.mtime_nsec);
        if (!member.symlink.empty()) archive_entry_set_symlink(entry.get(), member.symlink.c_str());
        if (!member.hardlink.empty()) archive_entry_set_hardlink(entry.get(), member.hardlink.c_str());
        if (member.type == AE_IFCHR || member.type == AE_IFBLK) {
            archive_entry_set_rdevmajor(entry.get(), member.dev_major);
            archive_entry_set_rdevminor(entry.get(), member.dev_minor);
        }
        for (const auto& [key, value] : member.xattrs)
            archive_entry_xattr_add_entry(entry.get(), key.c_str(), value.data(), value.size());
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.content.size()));
        check(archive_write_header(writer.get(), entry.get()));
        if (!member.content.empty() &&
            archive_write_data(writer.get(), member.content.data(), member.content.size()) < 0)
            throw std::runtime_error(archive_error_string(writer.get()));
    }
    check(archive_write_close(writer.get()));
    return out;
}

// A layer of `members`: the tar of make_tar, compressed.
std::string make_layer(const std::vector<Member>& members, Compression compression = Compression::none,
                       bool full_pax = false) {
    return compress(make_tar(members, full_pax), compression);
}

// A reader over a string that hands out small chunks, as a network stream would.
std::function<size_t(char*, size_t)> string_reader(const std::string& data, size_t chunk = 1000) {
    auto offset = std::make_shared<size_t>(0);
    return [&data, chunk, offset](char* buffer, size_t size) {
        size_t count = std::min({chunk, size, data.size() - *offset});
        std::memcpy(buffer, data.data() + *offset, count);
        *offset += count;
        return count;
    };
}

std::string read_whole(const std::string& path) { return read_file(path); }

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat " + path + ": " + std::strerror(errno));
    return st;
}

std::optional<std::string> xattr_of(const std::string& path, const char* key) {
    char value[256];
    ssize_t size = ::lgetxattr(path.c_str(), key, value, sizeof value);
    if (size < 0) return std::nullopt;
    return std::string(value, static_cast<size_t>(size));
}

std::set<std::string> names_in(const std::string& path) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(path)) names.insert(entry.path().filename().string());
    return names;
}

// A name no other test run uses, for paths on the host that must never appear.
std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

bool is_root() { return ::geteuid() == 0; }

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

class LayerUnpack : public ::testing::Test {
protected:
    void SetUp() override {
        make_directories(root);
        make_directories(outside);
        root_fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_fd.valid());
    }

    UnpackResult unpack(const std::string& layer, UnpackOptions options = {}) {
        return unpack_layer(string_reader(layer), root_fd.get(), options);
    }

    // The error text of an unpack that must fail.
    std::string unpack_error(const std::string& layer, UnpackOptions options = {}) {
        try {
            unpack(layer, options);
        } catch (const Error& e) {
            return e.what();
        }
        return "no error";
    }

    // Nothing was written beside the root: the base holds only "root" and an empty "outside".
    void expect_nothing_outside() {
        EXPECT_EQ(names_in(base.path()), (std::set<std::string>{"root", "outside"}));
        EXPECT_TRUE(names_in(outside).empty());
    }

    TempDir base{"/tmp", "berth-unpack-"};
    std::string root = base.path() + "/root";
    std::string outside = base.path() + "/outside";
    UniqueFd root_fd;
};

TEST_F(LayerUnpack, RegularFilesKeepContentModeOwnerAndTimes) {
    Member hello = file("etc/hello", "hello\n", 0640);
    hello.mtime = 1'500'000'000;
    hello.mtime_nsec = 123'456'789;
    if (is_root()) {
        hello.uid = 1234;
        hello.gid = 5678;
    }
    std::string big(300'000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
    auto result = unpack(make_layer({hello, file("bin/su", "su", 04755), file("bin/wall", "wall", 02755),
                                     file("/usr/share/big", big, 0444), file("./empty", "", 0600)},
                                    Compression::none, true));

    EXPECT_EQ(result.entries, 5u);
    EXPECT_EQ(result.bytes, 6u + 2u + 4u + big.size());
    EXPECT_TRUE(result.warnings.empty());
    EXPECT_EQ(read_whole(root + "/etc/hello"), "hello\n");
    auto st = lstat_of(root + "/etc/hello");
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'500'000'000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789);
    EXPECT_EQ(st.st_uid, static_cast<uid_t>(hello.uid));
    EXPECT_EQ(st.st_gid, static_cast<gid_t>(hello.gid));
    EXPECT_EQ(lstat_of(root + "/bin/su").st_mode & 07777, 04755u);
    EXPECT_EQ(lstat_of(root + "/bin/wall").st_mode & 07777, 02755u);
    EXPECT_EQ(read_whole(root + "/usr/share/big"), big);
    EXPECT_EQ(lstat_of(root + "/usr/share/big").st_mode & 07777, 0444u);
    EXPECT_EQ(lstat_of(root + "/empty").st_size, 0);
    // Parents missing from the layer are made with mode 0755.
    EXPECT_EQ(lstat_of(root + "/usr/share").st_mode & 07777, 0755u);
}

TEST_F(LayerUnpack, DirectoriesGetModeAndTimesAfterTheirContent) {
    Member top = dir("./", 0751);
    top.mtime = 1'000'000'000;
    Member d = dir("d/", 0750);
    d.mtime = 1'100'000'000;
    Member sub = dir("d/sub", 0700);
    sub.mtime = 1'200'000'000;
    Member read_only = dir("ro", 0555);
    unpack(make_layer({top, d, sub, file("d/sub/f", "f"), file("d/g", "g"), read_only, file("ro/inside", "i", 0400),
                       dir("ro/deeper", 0500), file("ro/deeper/x", "x")}));

    auto st = lstat_of(root + "/d");
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'100'000'000);
    EXPECT_EQ(lstat_of(root + "/d/sub").st_mtim.tv_sec, 1'200'000'000);
    EXPECT_EQ(lstat_of(root + "/d/sub").st_mode & 07777, 0700u);
    EXPECT_EQ(lstat_of(root).st_mode & 07777, 0751u);
    EXPECT_EQ(lstat_of(root).st_mtim.tv_sec, 1'000'000'000);
    EXPECT_EQ(lstat_of(root + "/ro").st_mode & 07777, 0555u);
    EXPECT_EQ(lstat_of(root + "/ro/deeper").st_mode & 07777, 0500u);
    EXPECT_EQ(read_whole(root + "/d/sub/f"), "f");
    EXPECT_EQ(read_whole(root + "/ro/deeper/x"), "x");
    ASSERT_EQ(::chmod((root + "/ro/deeper").c_str(), 0700), 0);
    ASSERT_EQ(::chmod((root + "/ro").c_str(), 0700), 0);
}

TEST_F(LayerUnpack, SymlinksHardLinksAndFifos) {
    Member link = symlink("lib", "usr/lib");
    link.mtime = 1'300'000'000;
    auto result = unpack(make_layer({file("usr/lib/a", "shared", 0755), link, hardlink("bin/b", "usr/lib/a"),
                                     hardlink("c", "/lib/a"), node("run/fifo", AE_IFIFO, 0620)}));

    EXPECT_EQ(result.entries, 5u);
    auto st = lstat_of(root + "/lib");
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(st.st_mtim.tv_sec, 1'300'000'000);
    EXPECT_EQ(fs::read_symlink(root + "/lib"), "usr/lib");
    auto original = lstat_of(root + "/usr/lib/a");
    auto linked = lstat_of(root + "/bin/b");
    EXPECT_EQ(original.st_ino, linked.st_ino);
    // "/lib/a" goes through the symlink "lib" inside the root.
    EXPECT_EQ(lstat_of(root + "/c").st_ino, original.st_ino);
    EXPECT_EQ(original.st_nlink, 3u);
    auto fifo = lstat_of(root + "/run/fifo");
    EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
    EXPECT_EQ(fifo.st_mode & 07777, 0620u);
}

TEST_F(LayerUnpack, HardLinkToADirectoryIsRefused) {
    EXPECT_EQ(unpack_error(make_layer({dir("d"), hardlink("h", "d")})),
              "unpack layer: hard link \"h\" to \"d\": the target is a directory");
    EXPECT_EQ(unpack_error(make_layer({hardlink("h2", "missing")})),
              "unpack layer: hard link \"h2\" to \"missing\": No such file or directory");
}

TEST_F(LayerUnpack, CharAndBlockDevicesAsRoot) {
    if (!is_root()) GTEST_SKIP() << "creating device nodes needs root";
    unpack(make_layer({node("dev/null", AE_IFCHR, 0666, 1, 3), node("dev/loop0", AE_IFBLK, 0660, 7, 0)}));
    auto null_dev = lstat_of(root + "/dev/null");
    EXPECT_TRUE(S_ISCHR(null_dev.st_mode));
    EXPECT_EQ(null_dev.st_mode & 07777, 0666u);
    EXPECT_EQ(null_dev.st_rdev, ::makedev(1, 3));
    auto loop = lstat_of(root + "/dev/loop0");
    EXPECT_TRUE(S_ISBLK(loop.st_mode));
    EXPECT_EQ(loop.st_rdev, ::makedev(7, 0));
}

TEST_F(LayerUnpack, RootlessSkipsDevicesAndExplainsUnmappedIds) {
    Member device = node("dev/null", AE_IFCHR, 0666, 1, 3);
    Member owned = file("etc/passwd", "root", 0644);
    device.uid = owned.uid = 0;
    device.gid = owned.gid = 0;
    std::string layer = make_layer({device, owned});
    Member shadow = file("etc/shadow", "secret", 0640);
    shadow.uid = 1000;
    shadow.gid = 0;
    std::string unmapped = make_layer({shadow});

    auto out = in_user_namespace([&]() -> std::string {
        auto result = unpack(layer, {.rootless = true});
        std::string text;
        for (const auto& warning : result.warnings) text += warning + "\n";
        text += fs::exists(fs::symlink_status(root + "/dev/null")) ? "device created\n" : "device skipped\n";
        text += read_whole(root + "/etc/passwd") + "\n";
        text += unpack_error(unmapped, {.rootless = true});
        return text;
    });
    if (!out) GTEST_SKIP() << "user namespaces are not available here";
    EXPECT_EQ(*out,
              "unpack layer: skip device \"dev/null\" (char 1:3): device nodes cannot be created in a user namespace\n"
              "device skipped\n"
              "root\n"
              "unpack layer: chown \"etc/shadow\" to 1000:0: Invalid argument (uid 1000 is outside this user "
              "namespace's id map; give the user enough subordinate ids in /etc/subuid and /etc/subgid)");
}

TEST_F(LayerUnpack, UserXattrsAreKept) {
    if (::setxattr(root.c_str(), "user.berth-probe", "1", 1, 0) != 0)
        GTEST_SKIP() << "this file system has no user xattrs";
    Member with_xattr = file("f", "content");
    with_xattr.xattrs = {{"user.comment", "hello"}, {"user.binary", std::string("\0\1\2", 3)}};
    Member dir_with_xattr = dir("d", 0555);
    dir_with_xattr.xattrs = {{"user.kind", "dir"}};
    Member read_only = file("ro", "r", 0400);
    read_only.xattrs = {{"user.ro", "yes"}};
    auto result = unpack(make_layer({with_xattr, dir_with_xattr, read_only}));
    EXPECT_TRUE(result.warnings.empty());
    EXPECT_EQ(xattr_of(root + "/f", "user.comment"), "hello");
    EXPECT_EQ(xattr_of(root + "/f", "user.binary"), std::string("\0\1\2", 3));
    EXPECT_EQ(xattr_of(root + "/d", "user.kind"), "dir");
    EXPECT_EQ(xattr_of(root + "/ro", "user.ro"), "yes");
}

TEST_F(LayerUnpack, OverlayMetadataXattrsFromALayerAreDropped) {
    if (::setxattr(root.c_str(), "user.berth-probe", "1", 1, 0) != 0)
        GTEST_SKIP() << "this file system has no user xattrs";
    Member sneaky = dir("d");
    sneaky.xattrs = {{"user.overlay.redirect", "/etc"}};
    auto result = unpack(make_layer({sneaky}));
    EXPECT_EQ(
        result.warnings,
        std::vector<std::string>{"unpack layer: skip xattr user.overlay.redirect of \"d/\": it is overlayfs metadata"});
    EXPECT_EQ(xattr_of(root + "/d", "user.overlay.redirect"), std::nullopt);
}

TEST_F(LayerUnpack, ReadsGzipZstdAndPlainTars) {
    std::string content(50'000, 'z');
    std::vector<Member> members{dir("etc"), file("etc/os-release", "ID=berth\n"), file("big", content)};
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        SCOPED_TRACE(static_cast<int>(compression));
        std::string layer = make_layer(members, compression);
        if (compression != Compression::none) {
            EXPECT_LT(layer.size(), content.size());
        }
        remove_tree(root);
        make_directories(root);
        root_fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        auto result = unpack(layer);
        EXPECT_EQ(result.entries, 3u);
        EXPECT_EQ(result.bytes, 9u + content.size());
        EXPECT_EQ(read_whole(root + "/etc/os-release"), "ID=berth\n");
        EXPECT_EQ(read_whole(root + "/big"), content);
    }
}

TEST_F(LayerUnpack, EmptyStreamIsAnEmptyLayer) {
    auto result = unpack("");
    EXPECT_EQ(result.entries, 0u);
    EXPECT_TRUE(names_in(root).empty());
    EXPECT_EQ(result.diff_id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(LayerUnpack, DiffIdIsTheDigestOfTheUncompressedTar) {
    std::string content(300'000, '\0');
    uint32_t state = 7;
    for (auto& c : content) {
        state = state * 1103515245 + 12345;
        c = static_cast<char>(state >> 24);
    }
    std::string tar = make_tar({dir("etc"), file("etc/os-release", "ID=berth\n"), file("noise", content)});
    std::string expected = sha256_digest(tar);
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        SCOPED_TRACE(static_cast<int>(compression));
        std::string layer = compress(tar, compression);
        if (compression != Compression::none) {
            EXPECT_NE(sha256_digest(layer), expected);
        }
        remove_tree(root);
        make_directories(root);
        root_fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        auto result = unpack(layer);
        EXPECT_EQ(result.entries, 3u);
        EXPECT_EQ(result.diff_id, expected);
        EXPECT_EQ(read_whole(root + "/noise"), content);
    }
}

TEST_F(LayerUnpack, DiffIdCoversWhatFollowsTheEndOfTheTar) {
    std::string tar = make_tar({file("a", "a")});
    // Padded to a whole 10240-byte record, as tar(1) writes it, and then some.
    std::string padded = tar + std::string(10240 - tar.size() % 10240 + 20480, '\0');
    ASSERT_NE(sha256_digest(padded), sha256_digest(tar));
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        SCOPED_TRACE(static_cast<int>(compression));
        for (size_t chunk : {size_t{1000}, size_t{1} << 20}) {
            SCOPED_TRACE(chunk);
            std::string layer = compress(padded, compression);
            auto result = unpack_layer(string_reader(layer, chunk), root_fd.get(), {});
            EXPECT_EQ(result.entries, 1u);
            EXPECT_EQ(result.diff_id, sha256_digest(padded));
            EXPECT_EQ(read_whole(root + "/a"), "a");
        }
    }
}

TEST_F(LayerUnpack, OverlayWhiteoutsAreDevicesAndOpaqueXattrs) {
    // trusted.* xattrs need root; as another user the rootless form (user.overlay.opaque) is what can be written.
    UnpackOptions options{.rootless = !is_root()};
    auto result = unpack(make_layer({file(".wh.gone", ""), dir("d"), file("d/.wh..wh..opq", ""), file("d/kept", "k"),
                                     file("deep/er/.wh.x", ""), file(".wh..wh.plnk", "")}),
                         options);
    EXPECT_EQ(result.entries, 6u);
    auto gone = lstat_of(root + "/gone");
    EXPECT_TRUE(S_ISCHR(gone.st_mode));
    EXPECT_EQ(gone.st_rdev, ::makedev(0, 0));
    EXPECT_TRUE(S_ISCHR(lstat_of(root + "/deep/er/x").st_mode));
    EXPECT_EQ(names_in(root), (std::set<std::string>{"gone", "d", "deep"}));
    EXPECT_EQ(names_in(root + "/d"), std::set<std::string>{"kept"});
    EXPECT_EQ(xattr_of(root + "/d", is_root() ? "trusted.overlay.opaque" : "user.overlay.opaque"), "y");
}

TEST_F(LayerUnpack, RootlessOverlayOpaqueUsesUserXattr) {
    Member marker = file("d/.wh..wh..opq", "");
    Member whiteout = file("d/.wh.gone", "");
    Member d = dir("d");
    d.uid = marker.uid = whiteout.uid = 0;
    d.gid = marker.gid = whiteout.gid = 0;
    std::string layer = make_layer({d, marker, whiteout});
    auto out = in_user_namespace([&]() -> std::string {
        unpack(layer, {.rootless = true});
        auto gone = lstat_of(root + "/d/gone");
        return xattr_of(root + "/d", "user.overlay.opaque").value_or("no xattr") + " " +
               (S_ISCHR(gone.st_mode) && gone.st_rdev == ::makedev(0, 0) ? "whiteout" : "not a whiteout");
    });
    if (!out) GTEST_SKIP() << "user namespaces are not available here";
    EXPECT_EQ(*out, "y whiteout");
}

TEST_F(LayerUnpack, AppliedWhiteoutsDeleteAndEmptyTheTree) {
    make_directories(root + "/gonedir/b");
    make_directories(root + "/opq/olddir");
    make_directories(root + "/opq/newdir");
    for (const char* path :
         {"/gone", "/gonedir/a", "/gonedir/b/c", "/opq/old", "/opq/olddir/x", "/opq/newdir/old", "/keep"})
        write_file_atomic(root + path, "lower");
    ASSERT_EQ(::symlink("/etc", (root + "/opq/oldlink").c_str()), 0);

    auto result =
        unpack(make_layer({file(".wh.gone", ""), file(".wh.gonedir", ""), file(".wh.never-there", ""), dir("opq"),
                           file("opq/new", "new"), dir("opq/newdir"), file("opq/newdir/f", "f"),
                           file("opq/.wh..wh..opq", ""), file("missing/.wh..wh..opq", ""), file("missing2/.wh.x", "")}),
               {.overlay_whiteouts = false});
    EXPECT_EQ(result.entries, 10u);
    EXPECT_EQ(names_in(root), (std::set<std::string>{"keep", "opq"}));
    EXPECT_EQ(names_in(root + "/opq"), (std::set<std::string>{"new", "newdir"}));
    EXPECT_EQ(names_in(root + "/opq/newdir"), std::set<std::string>{"f"});
    EXPECT_EQ(read_whole(root + "/opq/new"), "new");
    EXPECT_EQ(read_whole(root + "/keep"), "lower");
}

// A whiteout or opaque marker and what the same layer puts at its path, in both tar orders: the whiteout hides only
// the lower layers (image-spec layer.md), never its own layer's entries.
struct SameLayerCase {
    std::string label;
    std::vector<Member> members;
};

std::vector<SameLayerCase> same_layer_cases() {
    std::vector<SameLayerCase> cases;
    auto both_orders = [&](const std::string& label, std::vector<Member> members, const Member& whiteout) {
        std::vector<Member> after = members;
        after.push_back(whiteout);
        members.insert(members.begin(), whiteout);
        cases.push_back({label + ", whiteout first", members});
        cases.push_back({label + ", whiteout last", after});
    };
    both_orders("file", {file("f", "same")}, file(".wh.f", ""));
    both_orders("directory", {dir("d"), file("d/a", "a")}, file(".wh.d", ""));
    both_orders("implicit directory", {file("i/sub/n", "n")}, file(".wh.i", ""));
    both_orders("opaque directory", {dir("o"), file("o/s", "s")}, file("o/.wh..wh..opq", ""));
    return cases;
}

TEST_F(LayerUnpack, OverlayWhiteoutsKeepWhatTheSameLayerWrites) {
    const char* opaque_key = is_root() ? "trusted.overlay.opaque" : "user.overlay.opaque";
    for (const auto& [label, members] : same_layer_cases()) {
        SCOPED_TRACE(label);
        TempDir layer_dir(base.path(), "layer-");
        UniqueFd fd(::open(layer_dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(fd.valid());
        unpack_layer(string_reader(make_layer(members)), fd.get(), {.rootless = !is_root()});
        const std::string& top = layer_dir.path();
        if (path_exists(top + "/f")) {
            EXPECT_EQ(read_whole(top + "/f"), "same");
        } else if (path_exists(top + "/d")) {
            EXPECT_EQ(names_in(top + "/d"), std::set<std::string>{"a"});
            EXPECT_EQ(xattr_of(top + "/d", opaque_key), "y");  // the lower d stays hidden
        } else if (path_exists(top + "/i")) {
            EXPECT_EQ(read_whole(top + "/i/sub/n"), "n");
            EXPECT_EQ(xattr_of(top + "/i", opaque_key), "y");
        } else {
            EXPECT_EQ(names_in(top + "/o"), std::set<std::string>{"s"});
            EXPECT_EQ(xattr_of(top + "/o", opaque_key), "y");
        }
        EXPECT_EQ(names_in(top).size(), 1u);
    }
}

TEST_F(LayerUnpack, AppliedWhiteoutsKeepWhatTheSameLayerWrites) {
    for (const auto& [label, members] : same_layer_cases()) {
        SCOPED_TRACE(label);
        TempDir tree(base.path(), "tree-");
        const std::string& top = tree.path();
        for (const char* lower_dir : {"/d", "/i/sub", "/i/old", "/o"}) make_directories(top + lower_dir);
        for (const char* lower : {"/f", "/d/a", "/d/old", "/i/sub/old", "/i/old/x", "/o/old"})
            write_file_atomic(top + lower, "lower");
        UniqueFd fd(::open(top.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(fd.valid());
        unpack_layer(string_reader(make_layer(members)), fd.get(), {.overlay_whiteouts = false});
        if (label.starts_with("file")) {
            EXPECT_EQ(read_whole(top + "/f"), "same");
        } else if (label.starts_with("directory")) {
            EXPECT_EQ(names_in(top + "/d"), std::set<std::string>{"a"});
            EXPECT_EQ(read_whole(top + "/d/a"), "a");
        } else if (label.starts_with("implicit")) {
            EXPECT_EQ(names_in(top + "/i"), std::set<std::string>{"sub"});
            EXPECT_EQ(names_in(top + "/i/sub"), std::set<std::string>{"n"});
        } else {
            EXPECT_EQ(names_in(top + "/o"), std::set<std::string>{"s"});
        }
    }
}

TEST_F(LayerUnpack, LaterEntriesReplaceEarlierOnesInsteadOfWritingThrough) {
    write_file_atomic(root + "/f", "old");
    ASSERT_EQ(::link((root + "/f").c_str(), (root + "/f2").c_str()), 0);
    make_directories(root + "/d/sub");
    write_file_atomic(root + "/d/sub/x", "x");
    write_file_atomic(root + "/e", "file");
    std::string host_path = "/tmp/" + unique_name("berth-host-");
    ASSERT_EQ(::symlink(host_path.c_str(), (root + "/s").c_str()), 0);

    unpack(make_layer({file("f", "new", 0600), file("d", "now a file"), dir("e"), file("e/x", "in e"),
                       file("s", "not through the symlink"), file("dup", "first"), file("dup", "second"),
                       symlink("l", "f"), file("l", "replaced link")}));
    EXPECT_EQ(read_whole(root + "/f"), "new");
    EXPECT_EQ(read_whole(root + "/f2"), "old");  // the old file was unlinked, not truncated
    EXPECT_EQ(read_whole(root + "/d"), "now a file");
    EXPECT_EQ(read_whole(root + "/e/x"), "in e");
    EXPECT_TRUE(S_ISREG(lstat_of(root + "/s").st_mode));
    EXPECT_FALSE(path_exists(host_path));
    EXPECT_EQ(read_whole(root + "/dup"), "second");
    EXPECT_TRUE(S_ISREG(lstat_of(root + "/l").st_mode));
    EXPECT_EQ(read_whole(root + "/f"), "new");
}

TEST_F(LayerUnpack, DotDotEscapeIsRejected) {
    EXPECT_EQ(unpack_error(make_layer({file("ok", "ok"), file("../escape", "pwned")})),
              "hostile layer: entry \"../escape\" escapes the layer root");
    expect_nothing_outside();
}

TEST_F(LayerUnpack, DotDotInTheMiddleEscapeIsRejected) {
    EXPECT_EQ(unpack_error(make_layer({dir("a"), file("a/../../escape", "pwned")})),
              "hostile layer: entry \"a/../../escape\" escapes the layer root");
    EXPECT_EQ(unpack_error(make_layer({file("/../escape", "pwned")})),
              "hostile layer: entry \"/../escape\" escapes the layer root");
    expect_nothing_outside();
}

TEST_F(LayerUnpack, DotDotThatStaysInsideIsFine) {
    unpack(make_layer({dir("a"), file("a/../b", "b"), file("./c/./d/../e", "e")}));
    EXPECT_EQ(read_whole(root + "/b"), "b");
    EXPECT_EQ(read_whole(root + "/c/e"), "e");
    expect_nothing_outside();
}

TEST_F(LayerUnpack, AbsoluteNamesAreRelativeToTheRoot) {
    std::string name = unique_name("berth-abs-");
    unpack(make_layer({file("/tmp/" + name, "inside")}));
    EXPECT_EQ(read_whole(root + "/tmp/" + name), "inside");
    EXPECT_FALSE(path_exists("/tmp/" + name));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, HardLinkOutsideTheRootIsRejected) {
    struct stat before = lstat_of("/etc/passwd");
    EXPECT_EQ(unpack_error(make_layer({hardlink("passwd", "../../etc/passwd")})),
              "hostile layer: entry \"passwd\" escapes the layer root");
    EXPECT_EQ(lstat_of("/etc/passwd").st_nlink, before.st_nlink);
    EXPECT_FALSE(path_exists(root + "/passwd"));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, HardLinkThroughASymlinkStaysInside) {
    struct stat before = lstat_of("/etc/passwd");
    EXPECT_EQ(unpack_error(make_layer({symlink("evil", "/etc"), hardlink("h", "evil/passwd")})),
              "unpack layer: hard link \"h\" to \"evil/passwd\": No such file or directory");
    EXPECT_EQ(lstat_of("/etc/passwd").st_nlink, before.st_nlink);
    EXPECT_FALSE(path_exists(root + "/h"));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, WritesThroughASymlinkToTheHostRootLandInside) {
    std::string name = unique_name("berth-pwned-");
    auto result = unpack(make_layer({symlink("evil", "/"), file("evil/tmp/" + name, "pwned")}));
    EXPECT_EQ(result.entries, 2u);
    EXPECT_EQ(fs::read_symlink(root + "/evil"), "/");
    EXPECT_EQ(read_whole(root + "/tmp/" + name), "pwned");
    EXPECT_FALSE(path_exists("/tmp/" + name));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, WritesThroughAClimbingSymlinkLandInside) {
    std::string name = unique_name("berth-up-");
    unpack(make_layer({symlink("up", "../../.."), file("up/" + name, "pwned"), dir("outside"),
                       symlink("sub/rel", "../../outside"), file("sub/rel/" + name, "pwned")}));
    EXPECT_EQ(read_whole(root + "/" + name), "pwned");
    EXPECT_EQ(read_whole(root + "/outside/" + name), "pwned");
    EXPECT_FALSE(path_exists("/" + name));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, WhiteoutEscapeIsRejected) {
    write_file_atomic(base.path() + "/x", "victim");
    for (bool overlay : {true, false}) {
        SCOPED_TRACE(overlay);
        UnpackOptions options{.overlay_whiteouts = overlay};
        EXPECT_EQ(unpack_error(make_layer({file("../.wh.x", "")}), options),
                  "hostile layer: entry \"../.wh.x\" escapes the layer root");
        EXPECT_EQ(unpack_error(make_layer({file("a/../../.wh.x", "")}), options),
                  "hostile layer: entry \"a/../../.wh.x\" escapes the layer root");
        EXPECT_EQ(unpack_error(make_layer({file("../.wh..wh..opq", "")}), options),
                  "hostile layer: entry \"../.wh..wh..opq\" escapes the layer root");
        EXPECT_EQ(read_whole(base.path() + "/x"), "victim");
    }
    ASSERT_EQ(::unlink((base.path() + "/x").c_str()), 0);
    expect_nothing_outside();
}

TEST_F(LayerUnpack, AppliedWhiteoutThroughASymlinkStaysInside) {
    std::string name = unique_name("berth-victim-");
    write_file_atomic(outside + "/" + name, "victim");
    unpack(make_layer({symlink("evil", "../outside"), file("evil/.wh." + name, ""), symlink("abs", outside),
                       file("abs/.wh." + name, ""), file("abs/.wh..wh..opq", "")}),
           {.overlay_whiteouts = false});
    EXPECT_EQ(read_whole(outside + "/" + name), "victim");
    ASSERT_EQ(::unlink((outside + "/" + name).c_str()), 0);
    expect_nothing_outside();
}

TEST_F(LayerUnpack, TruncatedGzipIsAnError) {
    std::string noise(200'000, '\0');
    uint32_t state = 12345;
    for (auto& c : noise) {
        state = state * 1103515245 + 12345;
        c = static_cast<char>(state >> 24);
    }
    std::string layer = make_layer({file("big", noise), file("after", "after")}, Compression::gzip);
    layer.resize(layer.size() / 2);
    std::string error = unpack_error(layer);
    EXPECT_EQ(error, "unpack layer: read \"big\" (entry 1): truncated gzip input");
    EXPECT_FALSE(path_exists(root + "/after"));
    expect_nothing_outside();
}

TEST_F(LayerUnpack, GarbageIsNotALayer) {
    EXPECT_EQ(unpack_error(std::string(4096, 'g')), "unpack layer: open the layer stream: Unrecognized archive format");
    expect_nothing_outside();
}

TEST_F(LayerUnpack, TheReadersErrorIsPassedOn) {
    std::string layer = make_layer({file("a", std::string(100'000, 'a'))});
    size_t calls = 0;
    auto failing = [&](char* buffer, size_t size) -> size_t {
        if (++calls == 5) throw Error("fetch layer sha256:abc: connection reset");
        size_t count = std::min<size_t>(size, 1000);
        std::memcpy(buffer, layer.data() + (calls - 1) * 1000, count);
        return count;
    };
    try {
        unpack_layer(failing, root_fd.get(), {});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "fetch layer sha256:abc: connection reset");
    }
}

TEST_F(LayerUnpack, TheWholeStreamIsReadOnce) {
    for (auto compression : {Compression::none, Compression::gzip, Compression::zstd}) {
        SCOPED_TRACE(static_cast<int>(compression));
        std::string layer = make_layer({file("a", "a")}, compression) +
                            (compression == Compression::none ? std::string(4096, '\0') : "");
        size_t offset = 0;
        bool ended = false;
        unpack_layer(
            [&](char* buffer, size_t size) -> size_t {
                size_t count = std::min(size, layer.size() - offset);
                std::memcpy(buffer, layer.data() + offset, count);
                offset += count;
                if (count == 0) {
                    EXPECT_FALSE(ended) << "read again after the end";
                    ended = true;
                }
                return count;
            },
            root_fd.get(), {});
        EXPECT_TRUE(ended);
        EXPECT_EQ(offset, layer.size());
    }
}

TEST_F(LayerUnpack, UnpacksALayerFile) {
    std::string layer_path = base.path() + "/layer.tar.gz";
    write_file_atomic(layer_path, make_layer({file("etc/hostname", "berth\n")}, Compression::gzip));
    auto result = unpack_layer_file(layer_path, root, {});
    EXPECT_EQ(result.entries, 1u);
    EXPECT_EQ(read_whole(root + "/etc/hostname"), "berth\n");
    ASSERT_EQ(::unlink(layer_path.c_str()), 0);

    try {
        unpack_layer_file(base.path() + "/missing.tar", root, {});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "unpack layer: open \"" + base.path() + "/missing.tar\": No such file or directory");
    }
}

}  // namespace
}  // namespace berth::storage

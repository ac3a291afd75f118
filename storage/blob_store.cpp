#include "storage/blob_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <utility>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::storage {
namespace {

constexpr time_t stale_temporary_age = time_t{60} * 60;

void sync_directory(const std::string& path) {
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
}

// The inode of this process's pid namespace, which tells whether a pid in a temporary name means a process
// this one can see; 0 when it cannot be known.
unsigned long long pid_namespace_id() {
    struct stat st {};
    if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
    return static_cast<unsigned long long>(st.st_ino);
}

// Whether a temporary named "<pid namespace>-<pid>-<random>" belongs to a process that no longer exists.
bool writer_is_gone(const std::string& name, unsigned long long own_namespace) {
    auto fields = split(name, '-');
    if (fields.size() != 3 || own_namespace == 0) return false;
    auto name_namespace = parse_unsigned(fields[0]);
    auto pid = parse_unsigned(fields[1]);
    if (!name_namespace || !pid || *name_namespace != own_namespace || *pid == 0 || *pid > 0x3fffffff) return false;
    return ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

BlobStore::BlobStore(std::string graph_root)
    : blobs_dir_(graph_root + "/blobs/sha256"), temporary_dir_(std::move(graph_root) + "/blobs/tmp") {}

std::string BlobStore::path_of(const std::string& digest) const {
    if (!is_sha256_digest(digest))
        throw Error("blob \"" + digest + "\": not a sha256 digest (sha256: and 64 lowercase hex digits)");
    return blobs_dir_ + "/" + digest_hex(digest);
}

bool BlobStore::contains(const std::string& digest) const {
    if (!is_sha256_digest(digest)) return false;
    struct stat st {};
    return ::stat(path_of(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string BlobStore::read(const std::string& digest) const {
    auto content = read_file_if_exists(path_of(digest));
    if (!content) throw Error("blob " + digest + ": not found in " + blobs_dir_);
    return std::move(*content);
}

BlobStore::Writer BlobStore::begin_write() {
    make_directories(blobs_dir_, 0700);
    make_directories(temporary_dir_, 0700);
    std::string name_template =
        temporary_dir_ + "/" + std::to_string(pid_namespace_id()) + "-" + std::to_string(::getpid()) + "-XXXXXX";
    UniqueFd fd(::mkostemp(name_template.data(), O_CLOEXEC));
    if (!fd) throw_last_errno("create a temporary blob file in " + temporary_dir_);
    return Writer(std::move(fd), std::move(name_template), blobs_dir_);
}

void BlobStore::put(const std::string& expected_digest, std::string_view data) {
    if (!is_sha256_digest(expected_digest)) path_of(expected_digest);  // throws the error for a bad digest
    auto writer = begin_write();
    writer.write(data);
    writer.commit(expected_digest, data.size());
}

void BlobStore::remove(const std::string& digest) {
    std::string path = path_of(digest);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_last_errno("remove blob " + path);
}

std::vector<std::string> BlobStore::list() const {
    std::vector<std::string> digests;
    for (auto& name : list_directory(blobs_dir_)) {
        std::string digest = "sha256:" + name;
        if (is_sha256_digest(digest)) digests.push_back(std::move(digest));
    }
    std::sort(digests.begin(), digests.end());
    return digests;
}

void BlobStore::remove_stale_temporaries() {
    auto own_namespace = pid_namespace_id();
    time_t now = ::time(nullptr);
    for (const auto& name : list_directory(temporary_dir_)) {
        std::string path = temporary_dir_ + "/" + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
        bool old = st.st_mtime < now - stale_temporary_age;
        if (old || writer_is_gone(name, own_namespace)) remove_tree(path);
    }
}

BlobStore::Writer::Writer(UniqueFd fd, std::string temporary_path, std::string blobs_dir)
    : fd_(std::move(fd)), temporary_path_(std::move(temporary_path)), blobs_dir_(std::move(blobs_dir)) {}

BlobStore::Writer::Writer(Writer&& other) noexcept
    : fd_(std::move(other.fd_)),
      temporary_path_(std::exchange(other.temporary_path_, {})),
      blobs_dir_(std::move(other.blobs_dir_)),
      hash_(std::move(other.hash_)),
      size_(other.size_) {}

BlobStore::Writer& BlobStore::Writer::operator=(Writer&& other) noexcept {
    if (this != &other) {
        discard();
        fd_ = std::move(other.fd_);
        temporary_path_ = std::exchange(other.temporary_path_, {});
        blobs_dir_ = std::move(other.blobs_dir_);
        hash_ = std::move(other.hash_);
        size_ = other.size_;
    }
    return *this;
}

BlobStore::Writer::~Writer() { discard(); }

void BlobStore::Writer::discard() noexcept {
    fd_.reset();
    if (!temporary_path_.empty()) ::unlink(temporary_path_.c_str());
    temporary_path_.clear();
}

void BlobStore::Writer::write(const void* data, size_t size) {
    if (temporary_path_.empty()) throw Error("write blob: the blob was already committed or discarded");
    const char* bytes = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
        ssize_t n = ::write(fd_.get(), bytes, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_last_errno("write " + temporary_path_);
        }
        bytes += n;
        left -= static_cast<size_t>(n);
    }
    hash_.update(data, size);
    size_ += size;
}

void BlobStore::Writer::commit(const std::string& expected_digest, std::optional<uint64_t> expected_size) {
    if (temporary_path_.empty())
        throw Error("blob " + expected_digest + ": the blob was already committed or discarded");
    try {
        if (!is_sha256_digest(expected_digest))
            throw Error("blob \"" + expected_digest + "\": not a sha256 digest (sha256: and 64 lowercase hex digits)");
        if (expected_size && *expected_size != size_)
            throw Error("blob " + expected_digest + ": size mismatch: expected " + std::to_string(*expected_size) +
                        " bytes, got " + std::to_string(size_));
        std::string actual = hash_.finish();
        if (actual != expected_digest) throw Error("blob " + expected_digest + ": digest mismatch: got " + actual);
        if (::fchmod(fd_.get(), 0644) != 0) throw_last_errno("chmod " + temporary_path_);
        if (::fsync(fd_.get()) != 0) throw_last_errno("fsync " + temporary_path_);
        if (::close(fd_.release()) != 0) throw_last_errno("close " + temporary_path_);
        std::string final_path = blobs_dir_ + "/" + digest_hex(expected_digest);
        if (::rename(temporary_path_.c_str(), final_path.c_str()) != 0)
            throw_last_errno("rename " + temporary_path_ + " to " + final_path);
        temporary_path_.clear();
        sync_directory(blobs_dir_);
    } catch (...) {
        discard();
        throw;
    }
}

}  // namespace berth::storage

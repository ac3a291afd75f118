#include "transport/tar_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "storage/archive_library.hpp"

namespace berth::transport {

TarOutput::TarOutput(int fd, std::string where) : where_(std::move(where)) {
    const auto& lib = storage::libarchive();
    archive_ = lib.archive_write_new();
    if (archive_ == nullptr) throw Error("writing " + where_ + ": out of memory");
    if (lib.archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
        lib.archive_write_open_fd(archive_, fd) != ARCHIVE_OK)
        fail("opening the archive");
}

TarOutput::~TarOutput() {
    if (archive_ != nullptr) storage::libarchive().archive_write_free(archive_);
}

void TarOutput::fail(const std::string& what) {
    const char* why = storage::libarchive().archive_error_string(archive_);
    throw Error("writing " + where_ + ": " + what + ": " + (why != nullptr ? why : "unknown error"));
}

void TarOutput::header(const std::string& name, uint64_t size) {
    const auto& lib = storage::libarchive();
    std::unique_ptr<archive_entry, decltype(lib.archive_entry_free)> entry(lib.archive_entry_new(),
                                                                           lib.archive_entry_free);
    lib.archive_entry_set_pathname(entry.get(), name.c_str());
    lib.archive_entry_set_filetype(entry.get(), AE_IFREG);
    lib.archive_entry_set_perm(entry.get(), 0644);
    lib.archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    lib.archive_entry_set_mtime(entry.get(), 0, 0);
    if (lib.archive_write_header(archive_, entry.get()) != ARCHIVE_OK) fail("member " + name);
}

void TarOutput::data(const char* bytes, size_t size) {
    const auto& lib = storage::libarchive();
    while (size > 0) {
        la_ssize_t written = lib.archive_write_data(archive_, bytes, size);
        if (written <= 0) fail("data");
        bytes += written;
        size -= static_cast<size_t>(written);
    }
}

void TarOutput::add(const std::string& name, std::string_view content) {
    header(name, content.size());
    data(content.data(), content.size());
}

namespace {

// Passes `size` bytes of `fd` to `sink` in pieces.
template <typename Sink>
void copy_content(int fd, uint64_t size, const std::string& name, const std::string& where, Sink&& sink) {
    char buffer[1 << 16];
    uint64_t left = size;
    while (left > 0) {
        ssize_t got = ::read(fd, buffer, left < sizeof buffer ? left : sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_last_errno("reading the content of " + name);
        if (got == 0) throw Error("writing " + where + ": " + name + " ended early");
        sink(buffer, static_cast<size_t>(got));
        left -= static_cast<uint64_t>(got);
    }
}

void write_all(int fd, const char* bytes, size_t size, const std::string& path) {
    while (size > 0) {
        ssize_t written = ::write(fd, bytes, size);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw_last_errno("write " + path);
        bytes += written;
        size -= static_cast<size_t>(written);
    }
}

}  // namespace

void TarOutput::add_file(const std::string& name, int fd, uint64_t size) {
    header(name, size);
    copy_content(fd, size, name, where_, [&](const char* bytes, size_t count) { data(bytes, count); });
}

void TarOutput::finish() {
    if (storage::libarchive().archive_write_close(archive_) != ARCHIVE_OK) fail("closing the archive");
}

DirectoryOutput::DirectoryOutput(std::string directory) : directory_(std::move(directory)) {
    make_directories(directory_);
}

void DirectoryOutput::add(const std::string& name, std::string_view content) {
    std::string path = directory_ + "/" + name;
    make_directories(path.substr(0, path.rfind('/')));
    write_file_atomic(path, content, 0644, Durability::atomic);
}

void DirectoryOutput::add_file(const std::string& name, int fd, uint64_t size) {
    std::string path = directory_ + "/" + name;
    make_directories(path.substr(0, path.rfind('/')));
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) throw_last_errno("create " + path);
    copy_content(fd, size, name, directory_,
                 [&](const char* bytes, size_t count) { write_all(out.get(), bytes, count, path); });
}

}  // namespace berth::transport

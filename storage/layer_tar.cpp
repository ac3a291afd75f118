#include "storage/layer_tar.hpp"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string_view>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "storage/archive_library.hpp"

namespace berth::storage {
namespace {

constexpr size_t copy_buffer_size = 128 * 1024;

struct ArchiveDeleter {
    void operator()(archive* handle) const { libarchive().archive_write_free(handle); }
};
using WriteHandle = std::unique_ptr<archive, ArchiveDeleter>;

struct EntryDeleter {
    void operator()(archive_entry* entry) const { libarchive().archive_entry_free(entry); }
};
using EntryHandle = std::unique_ptr<archive_entry, EntryDeleter>;

// Where the archive's bytes go, and the first exception the sink threw (libarchive only sees a failed write).
struct Output {
    ByteSink sink;
    std::exception_ptr failure;
};

la_ssize_t write_callback(archive* handle, void* data, const void* buffer, size_t size) {
    auto* output = static_cast<Output*>(data);
    try {
        output->sink(static_cast<const char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        output->failure = std::current_exception();
        libarchive().archive_set_error(handle, EIO, "write failed");
        return -1;
    }
}

[[noreturn]] void fail(archive* handle, const Output& output, const std::string& what) {
    if (output.failure) std::rethrow_exception(output.failure);
    const char* why = libarchive().archive_error_string(handle);
    throw Error(what + ": " + (why ? why : "libarchive error"));
}

// Extended attributes of the file but overlayfs' own.
void add_xattrs(archive_entry* entry, const std::string& path) {
    char names[65536];
    ssize_t length = ::llistxattr(path.c_str(), names, sizeof names);
    if (length <= 0) return;
    for (ssize_t offset = 0; offset < length;) {
        std::string_view name(names + offset);
        offset += static_cast<ssize_t>(name.size()) + 1;
        if (name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.")) continue;
        char value[65536];
        ssize_t size = ::lgetxattr(path.c_str(), std::string(name).c_str(), value, sizeof value);
        if (size < 0) continue;
        libarchive().archive_entry_xattr_add_entry(entry, std::string(name).c_str(), value, static_cast<size_t>(size));
    }
}

}  // namespace

struct TarWriter::State {
    Output output;
    WriteHandle handle;
    std::map<std::pair<dev_t, ino_t>, std::string> written_inodes;  // files with several links, by first name
    bool finished = false;
};

TarWriter::TarWriter(ByteSink sink) : state_(std::make_unique<State>()) {
    const auto& lib = libarchive();
    state_->output.sink = std::move(sink);
    state_->handle.reset(lib.archive_write_new());
    if (!state_->handle) throw Error("tar: cannot allocate an archive writer");
    archive* handle = state_->handle.get();
    if (lib.archive_write_set_format_pax_restricted(handle) != ARCHIVE_OK ||
        lib.archive_write_add_filter_none(handle) != ARCHIVE_OK ||
        lib.archive_write_set_bytes_in_last_block(handle, 1) != ARCHIVE_OK)
        fail(handle, state_->output, "tar: set up the writer");
    if (lib.archive_write_open(handle, &state_->output, nullptr, write_callback, nullptr) != ARCHIVE_OK)
        fail(handle, state_->output, "tar: open the stream");
}

TarWriter::~TarWriter() = default;

void TarWriter::add(const std::string& name, const TreeEntry& entry) {
    if (S_ISSOCK(entry.status.st_mode)) return;  // tar has no sockets; Podman and Docker leave them out too
    const auto& lib = libarchive();
    archive* handle = state_->handle.get();
    EntryHandle member(lib.archive_entry_new());
    lib.archive_entry_copy_stat(member.get(), &entry.status);
    lib.archive_entry_set_pathname(member.get(), name.c_str());
    // Access and change times differ from one read to the next: a layer's bytes must not.
    lib.archive_entry_unset_atime(member.get());
    lib.archive_entry_unset_ctime(member.get());
    lib.archive_entry_unset_birthtime(member.get());
    const struct stat& status = entry.status;
    bool regular = S_ISREG(status.st_mode);
    if (regular && status.st_nlink > 1) {
        auto [found, first] = state_->written_inodes.try_emplace({status.st_dev, status.st_ino}, name);
        if (!first) {
            lib.archive_entry_set_hardlink(member.get(), found->second.c_str());
            lib.archive_entry_set_size(member.get(), 0);
            regular = false;
        }
    }
    if (S_ISLNK(status.st_mode)) {
        std::string target(static_cast<size_t>(status.st_size) + 1, '\0');
        ssize_t length = ::readlink(entry.source.c_str(), target.data(), target.size());
        if (length < 0) throw_last_errno("read link " + entry.source);
        target.resize(static_cast<size_t>(length));
        lib.archive_entry_set_symlink(member.get(), target.c_str());
        lib.archive_entry_set_size(member.get(), 0);
    } else if (!regular) {
        lib.archive_entry_set_size(member.get(), 0);
    }
    UniqueFd file;
    if (regular) {
        file = UniqueFd(::open(entry.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!file) throw_last_errno("open " + entry.source);
    }
    add_xattrs(member.get(), entry.source);
    if (lib.archive_write_header(handle, member.get()) < ARCHIVE_WARN)
        fail(handle, state_->output, "tar: write the header of " + name);
    if (!regular) return;
    std::vector<char> buffer(copy_buffer_size);
    int64_t left = status.st_size;
    while (left > 0) {
        ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_last_errno("read " + entry.source);
        if (got == 0) throw Error("tar: " + entry.source + " shrank while it was read");
        if (got > left) got = static_cast<ssize_t>(left);
        if (lib.archive_write_data(handle, buffer.data(), static_cast<size_t>(got)) < 0)
            fail(handle, state_->output, "tar: write the content of " + name);
        left -= got;
    }
}

void TarWriter::add_whiteout(const std::string& name) {
    auto slash = name.rfind('/');
    std::string whiteout =
        slash == std::string::npos ? ".wh." + name : name.substr(0, slash + 1) + ".wh." + name.substr(slash + 1);
    const auto& lib = libarchive();
    EntryHandle member(lib.archive_entry_new());
    lib.archive_entry_set_pathname(member.get(), whiteout.c_str());
    lib.archive_entry_set_filetype(member.get(), AE_IFREG);
    lib.archive_entry_set_perm(member.get(), 0644);
    lib.archive_entry_set_size(member.get(), 0);
    if (lib.archive_write_header(state_->handle.get(), member.get()) < ARCHIVE_WARN)
        fail(state_->handle.get(), state_->output, "tar: write the whiteout " + whiteout);
}

void TarWriter::finish() {
    if (state_->finished) return;
    state_->finished = true;
    if (libarchive().archive_write_close(state_->handle.get()) != ARCHIVE_OK)
        fail(state_->handle.get(), state_->output, "tar: finish the stream");
}

void write_view_tar(const TreeView& view, const ByteSink& sink) {
    TarWriter writer(sink);
    for (const auto& [path, entry] : view) writer.add(path, entry);
    writer.finish();
}

void write_changes_tar(const std::vector<Change>& changes, const TreeView& after, const ByteSink& sink) {
    TarWriter writer(sink);
    for (const auto& change : changes) {
        std::string name = change.path.substr(1);
        if (change.kind == ChangeKind::deleted) {
            writer.add_whiteout(name);
            continue;
        }
        auto found = after.find(name);
        if (found == after.end()) throw Error("tar: " + change.path + " is not in the container's tree");
        writer.add(name, found->second);
    }
    writer.finish();
}

struct GzipWriter::State {
    Output output;
    WriteHandle handle;
    bool finished = false;
};

GzipWriter::GzipWriter(ByteSink sink) : state_(std::make_unique<State>()) {
    const auto& lib = libarchive();
    state_->output.sink = std::move(sink);
    state_->handle.reset(lib.archive_write_new());
    if (!state_->handle) throw Error("gzip: cannot allocate an archive writer");
    archive* handle = state_->handle.get();
    if (lib.archive_write_set_format_raw(handle) != ARCHIVE_OK ||
        lib.archive_write_add_filter_gzip(handle) != ARCHIVE_OK ||
        lib.archive_write_set_bytes_in_last_block(handle, 1) != ARCHIVE_OK)
        fail(handle, state_->output, "gzip: set up the compressor");
    if (lib.archive_write_open(handle, &state_->output, nullptr, write_callback, nullptr) != ARCHIVE_OK)
        fail(handle, state_->output, "gzip: open the stream");
    EntryHandle member(lib.archive_entry_new());
    lib.archive_entry_set_pathname(member.get(), "layer.tar");
    lib.archive_entry_set_filetype(member.get(), AE_IFREG);
    lib.archive_entry_set_perm(member.get(), 0644);
    if (lib.archive_write_header(handle, member.get()) != ARCHIVE_OK)
        fail(handle, state_->output, "gzip: start the stream");
}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(const char* data, size_t size) {
    if (libarchive().archive_write_data(state_->handle.get(), data, size) < 0)
        fail(state_->handle.get(), state_->output, "gzip: compress");
}

void GzipWriter::finish() {
    if (state_->finished) return;
    state_->finished = true;
    if (libarchive().archive_write_close(state_->handle.get()) != ARCHIVE_OK)
        fail(state_->handle.get(), state_->output, "gzip: finish the stream");
}

}  // namespace berth::storage

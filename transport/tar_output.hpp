// Where `berth save` writes an image's files: a tar stream (written to a file descriptor with libarchive, one
// regular file after another) or a directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct archive;

namespace berth::transport {

// Files written one after another under their names ("blobs/sha256/<hex>").
class SaveOutput {
public:
    virtual ~SaveOutput() = default;
    // A file with this content.
    virtual void add(const std::string& name, std::string_view content) = 0;
    // A file with the `size` bytes of the file `fd` from its current offset; throws Error when it has fewer.
    virtual void add_file(const std::string& name, int fd, uint64_t size) = 0;
    // Completes the output; throws Error when that fails.
    virtual void finish() = 0;
};

class TarOutput final : public SaveOutput {
public:
    // `where` names the output in errors ("/tmp/x.tar", "stdout").
    TarOutput(int fd, std::string where);
    TarOutput(const TarOutput&) = delete;
    TarOutput& operator=(const TarOutput&) = delete;
    ~TarOutput() override;

    void add(const std::string& name, std::string_view content) override;
    void add_file(const std::string& name, int fd, uint64_t size) override;
    // Writes the end of the archive.
    void finish() override;

private:
    void header(const std::string& name, uint64_t size);
    void data(const char* bytes, size_t size);
    [[noreturn]] void fail(const std::string& what);

    struct archive* archive_ = nullptr;
    std::string where_;
};

// Files under a directory, made (with its parents) when missing; a file of the same name is replaced.
class DirectoryOutput final : public SaveOutput {
public:
    explicit DirectoryOutput(std::string directory);

    void add(const std::string& name, std::string_view content) override;
    void add_file(const std::string& name, int fd, uint64_t size) override;
    void finish() override {}

private:
    std::string directory_;
};

}  // namespace berth::transport

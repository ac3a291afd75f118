// A tar stream written to a file descriptor with libarchive, one regular file after another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct archive;

namespace berth::transport {

class TarOutput {
public:
    // `where` names the output in errors ("/tmp/x.tar", "stdout").
    TarOutput(int fd, std::string where);
    TarOutput(const TarOutput&) = delete;
    TarOutput& operator=(const TarOutput&) = delete;
    ~TarOutput();

    // A member with this content.
    void add(const std::string& name, std::string_view content);
    // A member with the `size` bytes of the file `fd` from its current offset; throws Error when it has fewer.
    void add_file(const std::string& name, int fd, uint64_t size);
    // Writes the end of the archive; throws Error when that fails.
    void finish();

private:
    void header(const std::string& name, uint64_t size);
    void data(const char* bytes, size_t size);
    [[noreturn]] void fail(const std::string& what);

    struct archive* archive_ = nullptr;
    std::string where_;
};

}  // namespace berth::transport
